package webhook_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// TestIdentity checks the id, type and challenge read from verified
// deliveries.
func TestIdentity(t *testing.T) {
	github := webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{[]byte("s")}}
	slack := webhook.Config{Provider: webhook.ProviderSlack, Secrets: [][]byte{[]byte("s")}}
	form := func(k, v string) string { return url.Values{k: {v}}.Encode() }
	tests := []struct {
		name        string
		cfg         webhook.Config
		body        string
		contentType string
		opts        webhooktest.Options
		want        webhook.Delivery
	}{
		{
			name: "github push has no action",
			cfg:  github, body: `{"ref":"refs/heads/main"}`,
			opts: webhooktest.Options{ID: "d-1", Event: "push"},
			want: webhook.Delivery{ID: "d-1", Type: "push"},
		},
		{
			name: "github action",
			cfg:  github, body: `{"action":"completed","check_run":{"action":"nested"}}`,
			opts: webhooktest.Options{ID: "d-2", Event: "check_run"},
			want: webhook.Delivery{ID: "d-2", Type: "check_run.completed"},
		},
		{
			name: "github action that is not a string is ignored",
			cfg:  github, body: `{"action":{"x":1}}`,
			opts: webhooktest.Options{ID: "d-3", Event: "issues"},
			want: webhook.Delivery{ID: "d-3", Type: "issues"},
		},
		{
			name: "github form-encoded payload",
			cfg:  github, body: form("payload", `{"action":"labeled"}`), contentType: "application/x-www-form-urlencoded",
			opts: webhooktest.Options{ID: "d-4", Event: "issues"},
			want: webhook.Delivery{ID: "d-4", Type: "issues.labeled"},
		},
		{
			name: "github body that is not json",
			cfg:  github, body: `not json`,
			opts: webhooktest.Options{ID: "d-5", Event: "ping"},
			want: webhook.Delivery{ID: "d-5", Type: "ping"},
		},
		{
			name: "slack url_verification exposes the challenge",
			cfg:  slack, body: `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
			opts: webhooktest.Options{Time: now},
			want: webhook.Delivery{ID: "derived", Type: "url_verification", Challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", Time: now},
		},
		{
			name: "slack challenge ignored on other types",
			cfg:  slack, body: `{"type":"event_callback","challenge":"x","event_id":"Ev9","event":{"type":"message"}}`,
			opts: webhooktest.Options{Time: now},
			want: webhook.Delivery{ID: "Ev9", Type: "message", Time: now},
		},
		{
			name: "slack interactivity payload",
			cfg:  slack, body: form("payload", `{"type":"block_actions","trigger_id":"1"}`),
			opts: webhooktest.Options{Time: now},
			want: webhook.Delivery{ID: "derived", Type: "block_actions", Time: now},
		},
		{
			name: "slack unknown body",
			cfg:  slack, body: `%%%`,
			opts: webhooktest.Options{Time: now},
			want: webhook.Delivery{ID: "derived", Time: now},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhook.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h, err := webhooktest.Sign(tt.cfg, []byte(tt.body), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			got, err := v.Verify(h, []byte(tt.body), now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.ID == "derived" {
				if len(got.ID) != 32 {
					t.Errorf("derived ID = %q, want 32 hex digits", got.ID)
				}
				tt.want.ID = got.ID
			}
			if got != tt.want {
				t.Errorf("Verify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDerivedID checks that a scheme without an id header gives a retried
// request the same id and a re-signed request a new one.
func TestDerivedID(t *testing.T) {
	cfg := webhook.Config{Provider: webhook.ProviderHMAC, Secrets: [][]byte{[]byte("s")}, Header: "X-Sig", TimestampHeader: "X-Time"}
	v, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{}`)
	id := func(at time.Time) string {
		t.Helper()
		h, err := webhooktest.Sign(cfg, body, webhooktest.Options{Time: at})
		if err != nil {
			t.Fatal(err)
		}
		d, err := v.Verify(h, body, now)
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	first, retry, later := id(now), id(now), id(now.Add(time.Second))
	if first != retry {
		t.Errorf("retry got id %q, first %q; want equal", retry, first)
	}
	if first == later {
		t.Errorf("re-signed request got the same id %q", first)
	}
}

// TestStandardWebhooksHeaderFamily checks that the webhook-* headers win
// when both families are present, and that a family is not mixed with the
// other's id or timestamp.
func TestStandardWebhooksHeaderFamily(t *testing.T) {
	cfg := webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}
	v, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"a":1}`)
	std, err := webhooktest.Sign(cfg, body, webhooktest.Options{ID: "msg_std", Time: now})
	if err != nil {
		t.Fatal(err)
	}
	svix, err := webhooktest.Sign(cfg, body, webhooktest.Options{ID: "msg_svix", Time: now, Svix: true})
	if err != nil {
		t.Fatal(err)
	}
	both := http.Header{}
	for _, h := range []http.Header{std, svix} {
		for k, vs := range h {
			both[k] = vs
		}
	}
	if d, err := v.Verify(both, body, now); err != nil || d.ID != "msg_std" {
		t.Errorf("both families: Verify = %+v, %v; want msg_std", d, err)
	}
	if d, err := v.Verify(svix, body, now); err != nil || d.ID != "msg_svix" {
		t.Errorf("svix: Verify = %+v, %v; want msg_svix", d, err)
	}
	mixed := svix.Clone()
	mixed.Del("Svix-Id")
	mixed.Set("Webhook-Id", "msg_svix")
	if _, err := v.Verify(mixed, body, now); !errors.Is(err, webhook.ErrMissingHeader) {
		t.Errorf("svix signature with webhook-id: Verify error = %v, want ErrMissingHeader", err)
	}
}

// TestMalformedTimestamp checks that a timestamp header that is not Unix
// seconds is reported as malformed for every scheme that has one.
func TestMalformedTimestamp(t *testing.T) {
	for _, p := range providers() {
		if !p.timestamped {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			v, err := webhook.New(p.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h, err := webhooktest.Sign(p.cfg, []byte(p.body), webhooktest.Options{Time: now})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"Webhook-Timestamp", "X-Slack-Request-Timestamp", "X-Timestamp"} {
				if h.Get(name) != "" {
					h.Set(name, "2025-06-15T00:00:00Z")
				}
			}
			if sig := h.Get("Stripe-Signature"); sig != "" {
				h.Set("Stripe-Signature", "t=soon"+sig[len("t=1750000000"):])
			}
			if _, err := v.Verify(h, []byte(p.body), now); !errors.Is(err, webhook.ErrMalformedHeader) {
				t.Errorf("Verify error = %v, want ErrMalformedHeader", err)
			}
		})
	}
}
