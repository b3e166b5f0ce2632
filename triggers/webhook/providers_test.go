package webhook_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// now is the fixed "now" of the provider tests.
var now = time.Unix(1_750_000_000, 0)

// provider describes one configured scheme for the shared failure table.
type provider struct {
	name string
	cfg  webhook.Config
	body string
	// required lists the headers whose absence is ErrMissingHeader.
	required []string
	// signature is the header carrying the signature.
	signature string
	// timestamped schemes are checked against the tolerance.
	timestamped bool
	want        webhook.Delivery
}

func providers() []provider {
	rotated := func(p string, extra ...[]byte) [][]byte {
		return append([][]byte{[]byte(p + "-old-secret"), []byte(p + "-new-secret")}, extra...)
	}
	return []provider{
		{
			name:      "github",
			cfg:       webhook.Config{Provider: webhook.ProviderGitHub, Secrets: rotated("github")},
			body:      `{"action":"opened","number":1}`,
			required:  []string{"X-Hub-Signature-256", "X-GitHub-Delivery", "X-GitHub-Event"},
			signature: "X-Hub-Signature-256",
			want:      webhook.Delivery{ID: "delivery-1", Type: "pull_request.opened"},
		},
		{
			name:        "stripe",
			cfg:         webhook.Config{Provider: webhook.ProviderStripe, Secrets: rotated("whsec_stripe")},
			body:        `{"id":"evt_1","object":"event","type":"checkout.session.completed"}`,
			required:    []string{"Stripe-Signature"},
			signature:   "Stripe-Signature",
			timestamped: true,
			want:        webhook.Delivery{ID: "evt_1", Type: "checkout.session.completed", Time: now},
		},
		{
			name: "standardwebhooks",
			cfg: webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{
				[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), []byte("a raw secret"),
			}},
			body:        `{"type":"invoice.paid"}`,
			required:    []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"},
			signature:   "Webhook-Signature",
			timestamped: true,
			want:        webhook.Delivery{ID: "delivery-1", Time: now},
		},
		{
			name:        "slack",
			cfg:         webhook.Config{Provider: webhook.ProviderSlack, Secrets: rotated("slack")},
			body:        `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}`,
			required:    []string{"X-Slack-Signature", "X-Slack-Request-Timestamp"},
			signature:   "X-Slack-Signature",
			timestamped: true,
			want:        webhook.Delivery{ID: "Ev1", Type: "app_mention", Time: now},
		},
		{
			name: "hmac",
			cfg: webhook.Config{
				Provider: webhook.ProviderHMAC, Secrets: rotated("hmac"),
				Header: "X-Signature", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512=",
				TimestampHeader: "X-Timestamp", IDHeader: "X-Delivery", SignedContent: "{id}:{timestamp}:{body}",
			},
			body:        `{"n":1}`,
			required:    []string{"X-Signature", "X-Timestamp", "X-Delivery"},
			signature:   "X-Signature",
			timestamped: true,
			want:        webhook.Delivery{ID: "delivery-1", Time: now},
		},
		{
			name: "hmac minimal",
			cfg: webhook.Config{
				Provider: webhook.ProviderHMAC, Secrets: rotated("hmac"), Header: "X-Signature", Algorithm: "sha1",
			},
			body:      `plain text`,
			required:  []string{"X-Signature"},
			signature: "X-Signature",
		},
	}
}

// TestVerifyFailures runs every provider through the same list of good and
// bad requests.
func TestVerifyFailures(t *testing.T) {
	tolerance := webhook.DefaultTolerance
	type request struct {
		header http.Header
		body   []byte
	}
	tests := []struct {
		name string
		// signWith replaces the secrets used to sign; nil signs with cfg.
		signWith [][]byte
		opts     webhooktest.Options
		mutate   func(p provider, r *request)
		// timestamped cases only apply to providers that sign a time.
		timestamped bool
		wantErr     error
	}{
		{name: "valid with first secret"},
		{name: "rotation: valid with second secret", opts: webhooktest.Options{Secret: 1}},
		{
			name:    "tampered body",
			mutate:  func(_ provider, r *request) { r.body = append(r.body, ' ') },
			wantErr: webhook.ErrSignature,
		},
		{
			name:    "empty body",
			mutate:  func(_ provider, r *request) { r.body = nil },
			wantErr: webhook.ErrSignature,
		},
		{name: "wrong secret", signWith: [][]byte{[]byte("not-the-secret")}, wantErr: webhook.ErrSignature},
		{
			name:    "signature of another algorithm or encoding",
			mutate:  func(p provider, r *request) { r.header.Set(p.signature, "sha256=00") },
			wantErr: anyOf(webhook.ErrMalformedHeader, webhook.ErrSignature),
		},
		{
			name:    "signature header not decodable",
			mutate:  func(p provider, r *request) { r.header.Set(p.signature, "t=1,v1=zz,sha256=zz v1,** zz") },
			wantErr: anyOf(webhook.ErrMalformedHeader, webhook.ErrSignature),
		},
		{name: "within tolerance in the past", opts: webhooktest.Options{Time: now.Add(-tolerance)}, timestamped: true},
		{name: "within tolerance in the future", opts: webhooktest.Options{Time: now.Add(tolerance)}, timestamped: true},
		{name: "stale timestamp", opts: webhooktest.Options{Time: now.Add(-tolerance - time.Second)}, timestamped: true, wantErr: webhook.ErrTimestamp},
		{name: "future timestamp", opts: webhooktest.Options{Time: now.Add(tolerance + time.Second)}, timestamped: true, wantErr: webhook.ErrTimestamp},
		{name: "replay a day later", opts: webhooktest.Options{Time: now.Add(-24 * time.Hour)}, timestamped: true, wantErr: webhook.ErrTimestamp},
	}
	for _, p := range providers() {
		for _, tt := range tests {
			if tt.timestamped && !p.timestamped {
				continue
			}
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				v, err := webhook.New(p.cfg)
				if err != nil {
					t.Fatal(err)
				}
				signCfg := p.cfg
				if tt.signWith != nil {
					signCfg.Secrets = tt.signWith
				}
				opts := tt.opts
				if opts.Time.IsZero() {
					opts.Time = now
				}
				opts.Event = "pull_request"
				h, err := webhooktest.Sign(signCfg, []byte(p.body), opts)
				if err != nil {
					t.Fatal(err)
				}
				r := request{header: h, body: []byte(p.body)}
				if tt.mutate != nil {
					tt.mutate(p, &r)
				}
				got, err := v.Verify(r.header, r.body, now)
				if !matches(err, tt.wantErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					return
				}
				want := p.want
				if p.timestamped {
					want.Time = opts.Time
				}
				if want.ID == "" {
					if got.ID == "" {
						t.Error("derived ID is empty")
					}
					want.ID = got.ID
				}
				if got != want {
					t.Errorf("Verify = %+v, want %+v", got, want)
				}
			})
		}
		for _, name := range p.required {
			t.Run(p.name+"/missing "+name, func(t *testing.T) {
				v, err := webhook.New(p.cfg)
				if err != nil {
					t.Fatal(err)
				}
				h, err := webhooktest.Sign(p.cfg, []byte(p.body), webhooktest.Options{Time: now})
				if err != nil {
					t.Fatal(err)
				}
				for _, value := range []string{"", "absent"} {
					if value == "" {
						h.Set(name, "")
					} else {
						h.Del(name)
					}
					_, err = v.Verify(h, []byte(p.body), now)
					if !errors.Is(err, webhook.ErrMissingHeader) {
						t.Errorf("Verify with %s %q = %v, want ErrMissingHeader", name, value, err)
					}
				}
			})
		}
	}
}

// anyOfErr matches when the error is any of several sentinels: a garbage
// signature header is malformed for one scheme and merely unmatched for
// another that skips entries it cannot decode.
type anyOfErr []error

func (a anyOfErr) Error() string { return "any of the given errors" }

func anyOf(errs ...error) error { return anyOfErr(errs) }

func matches(err, want error) bool {
	if a, ok := want.(anyOfErr); ok {
		for _, w := range a {
			if errors.Is(err, w) {
				return true
			}
		}
		return false
	}
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// TestVerifyRefusesHeadersSentTwice sends a correctly signed delivery with
// one of the headers the scheme reads sent a second time, before or after
// the right one: it is refused as malformed, whatever the order, so that
// a wrong copy can never pass beside a right one.
func TestVerifyRefusesHeadersSentTwice(t *testing.T) {
	for _, p := range providers() {
		v, err := webhook.New(p.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range p.required {
			for _, order := range []string{"wrong first", "wrong second"} {
				t.Run(p.name+"/"+name+"/"+order, func(t *testing.T) {
					h, err := webhooktest.Sign(p.cfg, []byte(p.body), webhooktest.Options{Time: now})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := v.Verify(h, []byte(p.body), now); err != nil {
						t.Fatalf("the delivery sent once: %v", err)
					}
					right := h.Get(name)
					wrong := right + "0"
					if order == "wrong first" {
						h[http.CanonicalHeaderKey(name)] = []string{wrong, right}
					} else {
						h[http.CanonicalHeaderKey(name)] = []string{right, wrong}
					}
					if _, err := v.Verify(h, []byte(p.body), now); !errors.Is(err, webhook.ErrMalformedHeader) {
						t.Errorf("Verify with %s sent twice: %v, want ErrMalformedHeader", name, err)
					}
				})
			}
		}
	}
}

// TestVerifyHMACSignedHeaders signs the delivery id and two more headers
// with the body: changing, dropping or doubling any of them is refused.
func TestVerifyHMACSignedHeaders(t *testing.T) {
	cfg := webhook.Config{
		Provider: webhook.ProviderHMAC, Secrets: [][]byte{[]byte("partner-secret")}, Header: "X-Signature",
		IDHeader: "X-Delivery", SignedContent: "{id}.{header:X-Event}.{header:x-tenant}.{body}",
	}
	v, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"order":1}`)
	sign := func() http.Header {
		h, err := webhooktest.Sign(cfg, body, webhooktest.Options{ID: "d-1", Headers: map[string]string{"X-Event": "order.paid", "X-Tenant": "acme"}})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if d, err := v.Verify(sign(), body, now); err != nil || d.ID != "d-1" {
		t.Fatalf("signed delivery: %+v, %v", d, err)
	}
	tests := []struct {
		name   string
		mutate func(http.Header)
		want   error
	}{
		{name: "another event type", mutate: func(h http.Header) { h.Set("X-Event", "order.refunded") }, want: webhook.ErrSignature},
		{name: "another tenant", mutate: func(h http.Header) { h.Set("X-Tenant", "evil") }, want: webhook.ErrSignature},
		{name: "another delivery id", mutate: func(h http.Header) { h.Set("X-Delivery", "d-2") }, want: webhook.ErrSignature},
		{name: "no event type", mutate: func(h http.Header) { h.Del("X-Event") }, want: webhook.ErrMissingHeader},
		{name: "event type twice", mutate: func(h http.Header) { h.Add("X-Event", "order.refunded") }, want: webhook.ErrMalformedHeader},
	}
	for _, tt := range tests {
		h := sign()
		tt.mutate(h)
		if _, err := v.Verify(h, body, now); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
