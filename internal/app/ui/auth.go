package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// CookieName is the dashboard's session cookie.
const CookieName = "fnmesh_session"

// sessionOf is the cookie value of token: a keyed hash, so that the
// cookie is not the token itself.
func sessionOf(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("fnmesh dashboard session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// allowed reports whether r carries the token: a bearer header or the
// session cookie.
func (u *UI) allowed(r *http.Request) bool {
	if u.cfg.Token == "" {
		return true
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") && equal(strings.TrimPrefix(h, "Bearer "), u.cfg.Token) {
		return true
	}
	c, err := r.Cookie(CookieName)
	return err == nil && equal(c.Value, u.session)
}

// authed lets through requests that carry the token. A GET with a right
// ?token= sets the session cookie and is redirected to the same URL
// without it; other GETs go to the login form, the rest get 401.
func (u *UI) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.cfg.Token != "" && r.Method == http.MethodGet && r.URL.Query().Has("token") {
			q := r.URL.Query()
			tok := q.Get("token")
			q.Del("token")
			if !equal(tok, u.cfg.Token) {
				u.render(w, http.StatusUnauthorized, "login", page{Title: "Sign in", Data: loginData{Next: pathWithQuery(r.URL.Path, q), Error: "That token is not right."}})
				return
			}
			u.setSession(w)
			http.Redirect(w, r, pathWithQuery(r.URL.Path, q), http.StatusSeeOther)
			return
		}
		if u.allowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && r.URL.Path != Prefix+"stream" {
			http.Redirect(w, r, Prefix+"login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="fnmesh"`)
		http.Error(w, "unauthorized: sign in at "+Prefix+"login", http.StatusUnauthorized)
	})
}

func pathWithQuery(p string, q url.Values) string {
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

func (u *UI) setSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: u.session, Path: Prefix, HttpOnly: true, Secure: u.cfg.Secure, SameSite: http.SameSiteStrictMode})
}

type loginData struct {
	Next, Error string
}

// safeNext keeps a redirect target inside the dashboard.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return Prefix
	}
	return next
}

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	if u.cfg.Token == "" || u.allowed(r) {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	u.render(w, http.StatusOK, "login", page{Title: "Sign in", Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	if !u.sameOrigin(r) {
		http.Error(w, "forbidden: a cross-site request", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if u.cfg.Token == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !equal(r.PostForm.Get("token"), u.cfg.Token) {
		u.render(w, http.StatusUnauthorized, "login", page{Title: "Sign in", Data: loginData{Next: next, Error: "That token is not right."}})
		return
	}
	u.setSession(w)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if !u.checkPost(w, r) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, Secure: u.cfg.Secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
}

// sameOrigin rejects what a browser marks as sent by another site
// (Sec-Fetch-Site), or whose Origin is not this host.
func (u *UI) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		ou, err := url.Parse(o)
		if err != nil || ou.Host != r.Host {
			return false
		}
	}
	return true
}

// checkPost parses a POST form and checks it is same-origin and carries
// the CSRF token; it answers 403 and returns false otherwise.
func (u *UI) checkPost(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return false
	}
	if !u.sameOrigin(r) {
		http.Error(w, "forbidden: a cross-site request", http.StatusForbidden)
		return false
	}
	tok := r.PostForm.Get("csrf")
	if tok == "" {
		tok = r.Header.Get("X-CSRF-Token")
	}
	if !equal(tok, u.csrf) {
		http.Error(w, "forbidden: the form's csrf token is missing or stale; reload the page", http.StatusForbidden)
		return false
	}
	return true
}
