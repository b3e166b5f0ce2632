package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/app/ui"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
)

// dashboard serves a dashboard guarded by tok over a real embedded broker.
func dashboard(t *testing.T, tok string) *httptest.Server {
	t.Helper()
	srv := brokertest.Server(t, t.TempDir())
	c := brokertest.Client(t, srv, brokertest.Streams()...)
	runs, err := history.NewReader(brokertest.Conn(t, srv), history.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Runs: runs, Events: c, Scheduled: c, DeadLetters: brokertest.DeadLetterQueue(t, c),
		Functions: []api.Function{{Name: "f", Stream: "EVENTS", Runtime: "process"},
			{Name: "limited", Stream: "EVENTS", Runtime: "process", RateLimit: &config.RateLimit{Events: 100, Per: config.Duration(time.Second)}},
			{Name: "ordered", Stream: "EVENTS", Runtime: "process", Ordering: &config.Ordering{Key: "subject"}},
			{Name: "batched", Stream: "EVENTS", Runtime: "process", Batch: &config.Batch{MaxEvents: 50, MaxWait: config.Duration(200 * time.Millisecond)}}},
		Triggers: func(now time.Time) api.TriggersView {
			return api.TriggersView{Ingest: "/events", Crons: []api.CronView{{Name: "tick", Schedule: "@hourly", Next: []time.Time{now.Add(time.Hour)}}}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ui.New(ui.Config{API: a, Token: tok, TraceURL: "http://jaeger.local/trace/{traceId}"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(ui.Prefix, d)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestTokenSignInSetsAStrictHttpOnlyCookie(t *testing.T) {
	const tok = "s3cret-ui-token"
	ts := dashboard(t, tok)
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)

	resp := mustDo(t, c, http.MethodGet, ts.URL+"/ui/triggers", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/login?next=") {
		t.Fatalf("GET /ui/triggers without the token: %s %s, want 303 to the login form", resp.Status, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/ui/stream"} {
		if resp := mustDo(t, c, http.MethodGet, ts.URL+path, nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %s, want 401", path, resp.Status)
		}
	}
	if resp := mustDo(t, c, http.MethodGet, ts.URL+"/ui/triggers?token=wrong", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong ?token=: %s, want 401", resp.Status)
	}
	if resp := mustDo(t, c, http.MethodGet, ts.URL+"/ui/triggers", nil, map[string]string{"Authorization": "Bearer " + tok}); resp.StatusCode != http.StatusOK {
		t.Errorf("a bearer header: %s, want 200", resp.Status)
	}

	resp = mustDo(t, c, http.MethodGet, ts.URL+"/ui/triggers?token="+tok+"&x=1", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/triggers?x=1" {
		t.Fatalf("?token=: %s to %q, want 303 to the URL without the token", resp.Status, resp.Header.Get("Location"))
	}
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{ui.CookieName + "=", "HttpOnly", "SameSite=Strict", "Path=/ui/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, tok) {
		t.Errorf("the cookie holds the token itself: %q", sc)
	}
	resp = mustDo(t, c, http.MethodGet, ts.URL+"/ui/triggers", nil, nil)
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "@hourly") {
		t.Fatalf("GET /ui/triggers with the cookie: %s", resp.Status)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if strings.Contains(body, tok) {
		t.Error("the page holds the token")
	}
}

func TestLoginFormAndItsRedirectStayInTheDashboard(t *testing.T) {
	const tok = "another-ui-token"
	ts := dashboard(t, tok)
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	form := url.Values{"token": {"nope"}, "next": {"/ui/triggers"}}
	if resp := mustDo(t, c, http.MethodPost, ts.URL+"/ui/login", form, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token: %s, want 401", resp.Status)
	}
	for next, want := range map[string]string{"/ui/triggers": "/ui/triggers", "https://evil.example/": "/ui/", "//evil.example/ui/": "/ui/"} {
		form := url.Values{"token": {tok}, "next": {next}}
		resp := mustDo(t, c, http.MethodPost, ts.URL+"/ui/login", form, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("login with next=%q: %s to %q, want 303 to %s", next, resp.Status, resp.Header.Get("Location"), want)
		}
	}
	if resp := mustDo(t, c, http.MethodPost, ts.URL+"/ui/login", url.Values{"token": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site login: %s, want 403", resp.Status)
	}
}

func TestActionsNeedTheCSRFTokenAndTheSameSite(t *testing.T) {
	ts := dashboard(t, "") // no token: CSRF still guards the actions
	c := noRedirect(nil)
	page := readAll(t, mustDo(t, c, http.MethodGet, ts.URL+"/ui/deadletters", nil, nil))
	csrf := csrfOf(t, page)
	for _, tt := range []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"no csrf token", url.Values{"key": {"f:e-1"}}, nil, http.StatusForbidden},
		{"a wrong csrf token", url.Values{"key": {"f:e-1"}, "csrf": {"00"}}, nil, http.StatusForbidden},
		{"cross-site", url.Values{"key": {"f:e-1"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"another origin", url.Values{"key": {"f:e-1"}, "csrf": {csrf}}, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"a bad key", url.Values{"key": {"no-colon"}, "csrf": {csrf}}, nil, http.StatusBadRequest},
		{"same origin", url.Values{"key": {"f:e-1"}, "csrf": {csrf}}, map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
	} {
		resp := mustDo(t, c, http.MethodPost, ts.URL+"/ui/deadletters/purge", tt.form, tt.header)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %s, want %d", tt.name, resp.Status, tt.want)
		}
		if tt.want == http.StatusSeeOther && !strings.Contains(resp.Header.Get("Location"), "Purged+0+dead+letters") {
			t.Errorf("%s: redirected to %q", tt.name, resp.Header.Get("Location"))
		}
	}
}

// Cancelling a scheduled event from the page takes the same CSRF and
// same-site checks as the dead-letter actions, and answers a missing id
// with a 400 and an unknown one with a message.
func TestScheduledCancelNeedsTheCSRFToken(t *testing.T) {
	ts := dashboard(t, "")
	c := noRedirect(nil)
	page := readAll(t, mustDo(t, c, http.MethodGet, ts.URL+"/ui/scheduled", nil, nil))
	csrf := csrfOf(t, page)
	for _, tt := range []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"no csrf token", url.Values{"id": {"r-1"}}, nil, http.StatusForbidden},
		{"cross-site", url.Values{"id": {"r-1"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"no id", url.Values{"csrf": {csrf}}, nil, http.StatusBadRequest},
		{"an id not scheduled", url.Values{"id": {"r-1"}, "csrf": {csrf}}, map[string]string{"Origin": ts.URL}, http.StatusSeeOther},
	} {
		resp := mustDo(t, c, http.MethodPost, ts.URL+"/ui/scheduled/cancel", tt.form, tt.header)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %s, want %d", tt.name, resp.Status, tt.want)
		}
		if tt.want == http.StatusSeeOther && !strings.Contains(resp.Header.Get("Location"), "No+scheduled+event") {
			t.Errorf("%s: redirected to %q", tt.name, resp.Header.Get("Location"))
		}
	}
}

func TestPagesAnswerBadInputWithoutA500(t *testing.T) {
	ts := dashboard(t, "")
	c := noRedirect(nil)
	for path, want := range map[string]int{
		"/ui/":                           http.StatusOK,
		"/ui/functions/f":                http.StatusOK,
		"/ui/functions/nope":             http.StatusNotFound,
		"/ui/events/missing":             http.StatusNotFound,
		"/ui/events/?id=":                http.StatusBadRequest,
		"/ui/deadletters?cesql=type+%3D": http.StatusBadRequest,
		"/ui/scheduled":                  http.StatusOK,
		"/ui/stream?outcome=bogus":       http.StatusBadRequest,
		"/ui/nowhere":                    http.StatusNotFound,
		"/ui/assets/style.css":           http.StatusOK,
		"/ui/assets/app.js":              http.StatusOK,
	} {
		resp := mustDo(t, c, http.MethodGet, ts.URL+path, nil, nil)
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, want)
		}
	}
}

func mustDo(t *testing.T, c *http.Client, method, u string, form url.Values, header map[string]string) *http.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A function's page shows its flow settings when it has some.
func TestFunctionPageShowsFlowSettings(t *testing.T) {
	ts := dashboard(t, "")
	c := noRedirect(nil)
	for fn, want := range map[string]string{
		"limited": "100 per 1s, across all replicas",
		"ordered": `<dt>Ordering key</dt><dd class="mono">subject</dd>`,
		"batched": "up to 50 events, waiting at most 200ms",
	} {
		page := readAll(t, mustDo(t, c, http.MethodGet, ts.URL+"/ui/functions/"+fn, nil, nil))
		if !strings.Contains(page, want) {
			t.Errorf("/ui/functions/%s lacks %q", fn, want)
		}
	}
	if page := readAll(t, mustDo(t, c, http.MethodGet, ts.URL+"/ui/functions/f", nil, nil)); strings.Contains(page, "Rate limit") || strings.Contains(page, "Ordering key") {
		t.Error("a function without flow settings shows some")
	}
}

// csrfOf is the CSRF token a dashboard page carries in its data-csrf
// attribute.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `data-csrf="`)
	if i < 0 {
		t.Fatal("no csrf token in the page")
	}
	csrf := page[i+len(`data-csrf="`):]
	return csrf[:strings.IndexByte(csrf, '"')]
}
