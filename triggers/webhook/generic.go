package webhook

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"time"
)

// generic verifies the configurable "hmac" scheme.
type generic struct {
	secrets         [][]byte
	tolerance       time.Duration
	newHash         func() hash.Hash
	decode          func(string) ([]byte, error)
	encoding        string
	header          string
	prefix          string
	timestampHeader string
	idHeader        string
	// before and after are the SignedContent text around {body}, with
	// {timestamp}, {id} and {header:Name} still to be filled in.
	before, after string
	// signedHeaders are the {header:Name} placeholders of the layout, with
	// the header each names.
	signedHeaders []signedHeader
}

// signedHeader is one {header:Name} placeholder.
type signedHeader struct {
	placeholder, name string
}

// newGeneric builds the "hmac" verifier from a validated config.
func newGeneric(cfg Config, secrets [][]byte, tolerance time.Duration) *generic {
	g := &generic{
		secrets:         secrets,
		tolerance:       tolerance,
		newHash:         sha256.New,
		decode:          hex.DecodeString,
		encoding:        "hex",
		header:          cfg.Header,
		prefix:          cfg.Prefix,
		timestampHeader: cfg.TimestampHeader,
		idHeader:        cfg.IDHeader,
	}
	switch cfg.Algorithm {
	case "sha1":
		g.newHash = sha1.New
	case "sha512":
		g.newHash = sha512.New
	}
	if cfg.Encoding == "base64" {
		g.decode, g.encoding = base64.StdEncoding.DecodeString, "base64"
	}
	layout := cfg.SignedContent
	if layout == "" {
		layout = "{body}"
		if cfg.TimestampHeader != "" {
			layout = "{timestamp}.{body}"
		}
	}
	g.before, g.after, _ = strings.Cut(layout, "{body}")
	for _, p := range placeholder.FindAllString(layout, -1) {
		if name, ok := headerPlaceholder(p); ok {
			g.signedHeaders = append(g.signedHeaders, signedHeader{placeholder: p, name: name})
		}
	}
	return g
}

// Verify implements [Verifier]. The delivery id is the IDHeader value, or
// derived from the signature and timestamp headers when no IDHeader is
// configured. Type is empty: the scheme carries none.
func (v *generic) Verify(h http.Header, body []byte, now time.Time) (Delivery, error) {
	sig, err := header(h, v.header)
	if err != nil {
		return Delivery{}, err
	}
	encoded, ok := strings.CutPrefix(strings.TrimSpace(sig), v.prefix)
	if !ok {
		return Delivery{}, fmt.Errorf("%w: %s: want prefix %q", ErrMalformedHeader, v.header, v.prefix)
	}
	mac, err := v.decode(encoded)
	if err != nil {
		return Delivery{}, fmt.Errorf("%w: %s: signature is not %s", ErrMalformedHeader, v.header, v.encoding)
	}
	var d Delivery
	var rawTS string
	if v.timestampHeader != "" {
		if rawTS, err = header(h, v.timestampHeader); err != nil {
			return Delivery{}, err
		}
		if d.Time, err = parseUnix(v.timestampHeader, rawTS); err != nil {
			return Delivery{}, err
		}
	}
	if v.idHeader != "" {
		if d.ID, err = header(h, v.idHeader); err != nil {
			return Delivery{}, err
		}
	}
	pairs := []string{"{timestamp}", rawTS, "{id}", d.ID}
	for _, sh := range v.signedHeaders {
		val, err := header(h, sh.name)
		if err != nil {
			return Delivery{}, err
		}
		pairs = append(pairs, sh.placeholder, val)
	}
	fill := strings.NewReplacer(pairs...)
	content := [][]byte{[]byte(fill.Replace(v.before)), body, []byte(fill.Replace(v.after))}
	if !anyEqual(macs(v.newHash, v.secrets, content...), [][]byte{mac}) {
		return Delivery{}, fmt.Errorf("%w: %s", ErrSignature, v.header)
	}
	if v.timestampHeader != "" {
		if err := checkTolerance(d.Time, now, v.tolerance); err != nil {
			return Delivery{}, err
		}
	}
	if d.ID == "" {
		d.ID = derivedID(rawTS, sig)
	}
	return d, nil
}
