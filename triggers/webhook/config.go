package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/triggers/endpoint"
)

// Config selects a signature scheme and holds its secrets and options.
//
// Fields after Tolerance apply to the "hmac" provider only; setting them for
// another provider is an error, so a misplaced option never goes unnoticed.
type Config struct {
	// Provider is the signature scheme: "github", "stripe",
	// "standardwebhooks", "slack" or "hmac".
	Provider string
	// Secrets are the signing secrets, already resolved from wherever they
	// are kept. A delivery signed with any of them is accepted, so a secret
	// can be rotated by listing the old and the new one for a while. At least
	// one is required and none may be empty or white space only.
	Secrets [][]byte
	// Tolerance is how far the signed timestamp may be from now, in either
	// direction. Zero means DefaultTolerance. Only for schemes that sign a
	// timestamp: stripe, standardwebhooks, slack, and hmac with
	// TimestampHeader.
	Tolerance time.Duration

	// Header is the header carrying the signature (hmac only, required).
	Header string
	// Algorithm is the HMAC hash: "sha1", "sha256" (default) or "sha512"
	// (hmac only).
	Algorithm string
	// Encoding is how the signature is written: "hex" (default, either case)
	// or "base64" (standard alphabet, padded) (hmac only).
	Encoding string
	// Prefix is text that precedes the encoded signature in the header, for
	// example "sha256=" (hmac only, optional).
	Prefix string
	// TimestampHeader is the header carrying the signed Unix time in seconds
	// (hmac only, optional). When set, the timestamp is checked against
	// Tolerance and must be part of SignedContent.
	TimestampHeader string
	// IDHeader is the header carrying the delivery id (hmac only, optional).
	// Without it the id is derived from the signature and timestamp headers.
	IDHeader string
	// SignedContent is the layout of the signed bytes (hmac only, optional):
	// "{body}" exactly once, "{timestamp}" and "{id}" for the values of
	// TimestampHeader and IDHeader, "{header:Name}" for the value of any
	// other request header (which must then be sent, once), anything else
	// literally. The default is "{timestamp}.{body}" with a TimestampHeader
	// and "{body}" without. Only what the layout names is authenticated: put
	// "{id}" in it, or the delivery id can be changed on a replay.
	SignedContent string
}

// Providers returns the accepted values of [Config.Provider], in order.
func Providers() []string {
	return []string{ProviderGitHub, ProviderStripe, ProviderStandardWebhooks, ProviderSlack, ProviderHMAC}
}

// Accepted values of the hmac provider's algorithm and encoding.
func algorithms() []string { return []string{"sha1", "sha256", "sha512"} }
func encodings() []string  { return []string{"hex", "base64"} }

// CheckProvider reports a provider that is not one of [Providers]. The
// mesh file's validation shares this rule and the ones below with
// [Config.Validate].
func CheckProvider(p string) error { return checkOneOf(p, Providers()) }

// CheckAlgorithm reports an hmac algorithm other than sha1, sha256 or
// sha512.
func CheckAlgorithm(a string) error { return checkOneOf(a, algorithms()) }

// CheckEncoding reports an hmac signature encoding other than hex or
// base64.
func CheckEncoding(e string) error { return checkOneOf(e, encodings()) }

// CheckSecret reports a signing secret that is empty or only white space
// (a secret file holding a blank line, an unset variable exported as " ").
func CheckSecret(s []byte) error {
	switch {
	case len(s) == 0:
		return errors.New("must not be empty")
	case len(bytes.TrimSpace(s)) == 0:
		return errors.New("must not be white space only")
	}
	return nil
}

// checkOneOf reports s when it is not in list.
func checkOneOf(s string, list []string) error {
	if !slices.Contains(list, s) {
		return errors.New("must be one of " + strings.Join(list, ", "))
	}
	return nil
}

// placeholder matches one {name} in SignedContent.
var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// Validate reports the first problem with c as an error wrapping
// [ErrConfig] that names the field and the rule.
func (c Config) Validate() error {
	if c.Provider == "" {
		return configErr("provider", "is required, one of %s", strings.Join(Providers(), ", "))
	}
	if err := CheckProvider(c.Provider); err != nil {
		return configErr("provider", "%v, got %q", err, c.Provider)
	}
	if len(c.Secrets) == 0 {
		return configErr("secrets", "at least one secret is required")
	}
	for i, s := range c.Secrets {
		if err := CheckSecret(s); err != nil {
			return configErr(fmt.Sprintf("secrets[%d]", i), "%v", err)
		}
	}
	if c.Tolerance < 0 {
		return configErr("tolerance", "must not be negative, got %s", c.Tolerance)
	}
	if c.Provider != ProviderHMAC {
		return c.validateNoHMACFields()
	}
	return c.validateHMAC()
}

func (c Config) validateNoHMACFields() error {
	if c.Tolerance != 0 && c.Provider == ProviderGitHub {
		return configErr("tolerance", "provider github signs no timestamp")
	}
	for _, f := range []struct{ name, value string }{
		{"header", c.Header},
		{"algorithm", c.Algorithm},
		{"encoding", c.Encoding},
		{"prefix", c.Prefix},
		{"timestampHeader", c.TimestampHeader},
		{"idHeader", c.IDHeader},
		{"signedContent", c.SignedContent},
	} {
		if f.value != "" {
			return configErr(f.name, "only applies to provider hmac, not %s", c.Provider)
		}
	}
	return nil
}

func (c Config) validateHMAC() error {
	if strings.TrimSpace(c.Header) == "" {
		return configErr("header", "is required for provider hmac")
	}
	if c.Algorithm != "" {
		if err := CheckAlgorithm(c.Algorithm); err != nil {
			return configErr("algorithm", "%v, got %q", err, c.Algorithm)
		}
	}
	if c.Encoding != "" {
		if err := CheckEncoding(c.Encoding); err != nil {
			return configErr("encoding", "%v, got %q", err, c.Encoding)
		}
	}
	if c.Tolerance != 0 && c.TimestampHeader == "" {
		return configErr("tolerance", "needs timestampHeader, there is no timestamp to check")
	}
	if err := c.CheckSignedContent(); err != nil {
		return configErr("signedContent", "%v", err)
	}
	return nil
}

// CheckSignedContent reports a SignedContent layout that cannot be signed
// with the hmac fields of c (Header, TimestampHeader, IDHeader); an empty
// layout is the default and passes.
func (c Config) CheckSignedContent() error {
	if c.SignedContent == "" {
		return nil
	}
	if n := strings.Count(c.SignedContent, "{body}"); n != 1 {
		return fmt.Errorf("must contain {body} exactly once, found %d", n)
	}
	for _, p := range placeholder.FindAllString(c.SignedContent, -1) {
		name, isHeader := headerPlaceholder(p)
		switch {
		case p == "{body}":
		case p == "{timestamp}" && c.TimestampHeader != "":
		case p == "{id}" && c.IDHeader != "":
		case p == "{timestamp}":
			return errors.New("uses {timestamp} but timestampHeader is not set")
		case p == "{id}":
			return errors.New("uses {id} but idHeader is not set")
		case isHeader && !endpoint.IsToken(name):
			return fmt.Errorf("placeholder %s: %q is not a header name", p, name)
		case isHeader && strings.EqualFold(name, c.Header):
			return fmt.Errorf("placeholder %s: names the signature header itself", p)
		case isHeader:
		default:
			return fmt.Errorf("unknown placeholder %s, want {body}, {timestamp}, {id} or {header:Name}", p)
		}
	}
	if c.TimestampHeader != "" && !strings.Contains(c.SignedContent, "{timestamp}") {
		return errors.New("must contain {timestamp} when timestampHeader is set, or the timestamp is not authenticated")
	}
	return nil
}

// headerPlaceholder returns the header name of a "{header:Name}"
// placeholder.
func headerPlaceholder(p string) (string, bool) {
	name, ok := strings.CutPrefix(p, "{header:")
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(name, "}"), true
}

func configErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...))
}
