package triggers

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// Errors of a request without the bearer token it needs.
var (
	errNoToken  = errors.New("missing bearer token")
	errBadToken = errors.New("invalid bearer token")
)

// bearerChallenge is the WWW-Authenticate value of a 401.
const bearerChallenge = `Bearer realm="fnmesh"`

// bearer checks "Authorization: Bearer <token>". It keeps only the SHA-256
// of the token and compares digests in constant time, so neither the
// token's content nor its length shows in the time a check takes. A nil
// *bearer accepts every request.
type bearer struct {
	sum [sha256.Size]byte
}

// newBearer returns the check for token; nil when token is empty.
func newBearer(token []byte) *bearer {
	if len(token) == 0 {
		return nil
	}
	return &bearer{sum: sha256.Sum256(token)}
}

// checkToken refuses a configured token that no request could present:
// one that is only white space (a presented token is trimmed).
func checkToken(token []byte) error {
	if len(token) > 0 && len(bytes.TrimSpace(token)) == 0 {
		return errors.New("the token must not be white space only")
	}
	return nil
}

// check returns nil when h carries the token, errNoToken when it carries
// none (or in another scheme), errBadToken when it carries another.
func (b *bearer) check(h http.Header) error {
	if b == nil {
		return nil
	}
	scheme, tok, ok := strings.Cut(h.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return errNoToken
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if subtle.ConstantTimeCompare(sum[:], b.sum[:]) != 1 {
		return errBadToken
	}
	return nil
}

// writeUnauthorized answers 401 for a check that failed, with the bearer
// challenge (RFC 6750).
func writeUnauthorized(w http.ResponseWriter, err error) {
	challenge := bearerChallenge
	if errors.Is(err, errBadToken) {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, err)
}

// RequireBearer returns h behind the bearer token check that ingest and
// routes use: a request without "Authorization: Bearer <token>" is answered
// 401 with a JSON error and a WWW-Authenticate challenge. With an empty
// token h is returned as it is. The token must not be white space only.
func RequireBearer(token []byte, h http.Handler) (http.Handler, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	b := newBearer(token)
	if b == nil {
		return h, nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := b.check(r.Header); err != nil {
			writeUnauthorized(w, err)
			return
		}
		h.ServeHTTP(w, r)
	}), nil
}
