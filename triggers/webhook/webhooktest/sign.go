package webhooktest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// Options describe the delivery being signed. Zero fields get defaults.
type Options struct {
	// ID is the delivery id sent in X-GitHub-Delivery, webhook-id or the
	// hmac IDHeader. Default "delivery-1". Stripe and Slack carry their ids
	// in the body, which Sign leaves untouched.
	ID string
	// Event is the X-GitHub-Event value. Default "ping".
	Event string
	// Time is the signed timestamp. Default time.Now().
	Time time.Time
	// Secret is the index in cfg.Secrets of the secret to sign with.
	Secret int
	// Svix sends the standardwebhooks headers under their svix- names.
	Svix bool
	// Headers are sent as they are; for the hmac scheme they fill the
	// {header:Name} placeholders of SignedContent.
	Headers map[string]string
}

// Sign returns the headers the provider named by cfg.Provider would send
// with body. It fails when cfg is invalid or opts.Secret is out of range.
func Sign(cfg webhook.Config, body []byte, opts Options) (http.Header, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Secret < 0 || opts.Secret >= len(cfg.Secrets) {
		return nil, fmt.Errorf("webhooktest: secret index %d out of range [0,%d)", opts.Secret, len(cfg.Secrets))
	}
	if opts.ID == "" {
		opts.ID = "delivery-1"
	}
	if opts.Event == "" {
		opts.Event = "ping"
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	secret := cfg.Secrets[opts.Secret]
	ts := strconv.FormatInt(opts.Time.Unix(), 10)
	h := http.Header{}
	for k, v := range opts.Headers {
		h.Set(k, v)
	}
	switch cfg.Provider {
	case webhook.ProviderGitHub:
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac(sha256.New, secret, body)))
		h.Set("X-GitHub-Delivery", opts.ID)
		h.Set("X-GitHub-Event", opts.Event)
	case webhook.ProviderStripe:
		sig := mac(sha256.New, secret, []byte(ts), []byte("."), body)
		h.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(sig))
	case webhook.ProviderStandardWebhooks:
		key, err := standardKey(secret)
		if err != nil {
			return nil, err
		}
		sig := mac(sha256.New, key, []byte(opts.ID), []byte("."), []byte(ts), []byte("."), body)
		prefix := "Webhook-"
		if opts.Svix {
			prefix = "Svix-"
		}
		h.Set(prefix+"Id", opts.ID)
		h.Set(prefix+"Timestamp", ts)
		h.Set(prefix+"Signature", "v1,"+base64.StdEncoding.EncodeToString(sig))
	case webhook.ProviderSlack:
		sig := mac(sha256.New, secret, []byte("v0:"+ts+":"), body)
		h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(sig))
		h.Set("X-Slack-Request-Timestamp", ts)
	case webhook.ProviderHMAC:
		signHMAC(h, cfg, secret, body, opts.ID, ts)
	}
	return h, nil
}

// signHMAC fills h for the generic "hmac" scheme.
func signHMAC(h http.Header, cfg webhook.Config, secret, body []byte, id, ts string) {
	layout := cfg.SignedContent
	if layout == "" {
		layout = "{body}"
		if cfg.TimestampHeader != "" {
			layout = "{timestamp}.{body}"
		}
	}
	if cfg.TimestampHeader == "" {
		ts = ""
	} else {
		h.Set(cfg.TimestampHeader, ts)
	}
	if cfg.IDHeader == "" {
		id = ""
	} else {
		h.Set(cfg.IDHeader, id)
	}
	before, after, _ := strings.Cut(layout, "{body}")
	pairs := []string{"{timestamp}", ts, "{id}", id}
	for _, p := range headerPlaceholder.FindAllStringSubmatch(layout, -1) {
		pairs = append(pairs, p[0], h.Get(p[1]))
	}
	fill := strings.NewReplacer(pairs...)
	newHash := map[string]func() hash.Hash{"": sha256.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}[cfg.Algorithm]
	sig := mac(newHash, secret, []byte(fill.Replace(before)), body, []byte(fill.Replace(after)))
	encoded := hex.EncodeToString(sig)
	if cfg.Encoding == "base64" {
		encoded = base64.StdEncoding.EncodeToString(sig)
	}
	h.Set(cfg.Header, cfg.Prefix+encoded)
}

// headerPlaceholder matches a {header:Name} placeholder of SignedContent.
var headerPlaceholder = regexp.MustCompile(`\{header:([^{}]*)\}`)

// standardKey decodes a "whsec_<base64>" secret; other secrets are the key.
func standardKey(secret []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(secret), "whsec_")
	if !ok {
		return secret, nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: whsec_ secret is not base64: %w", err)
	}
	return key, nil
}

func mac(newHash func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}
