package triggers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// hookCase is one provider's trigger with a way to sign its deliveries.
type hookCase struct {
	name    string
	trigger HookConfig
	body    string
	// sign returns the headers of body signed with secret at time at.
	sign func(t *testing.T, body []byte, secret []byte, at time.Time) http.Header
	// secret signs valid deliveries.
	secret []byte
	// sigHeader is the header whose absence must be refused.
	sigHeader   string
	timestamped bool
	wantID      string
	wantType    string
}

// signWith signs with the test helper of the webhook package.
func signWith(cfg webhook.Config, opts webhooktest.Options) func(*testing.T, []byte, []byte, time.Time) http.Header {
	return func(t *testing.T, body, secret []byte, at time.Time) http.Header {
		t.Helper()
		cfg.Secrets = [][]byte{secret}
		opts.Time = at
		h, err := webhooktest.Sign(cfg, body, opts)
		if err != nil {
			t.Fatal(err)
		}
		h.Set("Content-Type", "application/json")
		return h
	}
}

func hookTrigger(name string, wc webhook.Config, emitType string) HookConfig {
	return HookConfig{Name: name, Path: "/hooks/" + name, Webhook: wc, Emit: Emit{Type: emitType}}
}

// secrets is the resolved form of a list of secrets.
func secrets(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

func hookCases() []hookCase {
	tolerance := 5 * time.Minute
	swOld := "whsec_" + base64.StdEncoding.EncodeToString([]byte("old-standard-key"))
	swNew := "whsec_" + base64.StdEncoding.EncodeToString([]byte("new-standard-key"))
	hmacScheme := webhook.Config{
		Provider: "hmac", Header: "X-Signature", Algorithm: "sha256", Encoding: "hex", Prefix: "sha256=",
		TimestampHeader: "X-Timestamp", IDHeader: "X-Delivery",
	}
	return []hookCase{
		{
			name: "github",
			trigger: hookTrigger("github", webhook.Config{
				Provider: "github", Secrets: secrets("gh-secret"),
			}, ""),
			body:      `{"action":"opened","number":7}`,
			sign:      signWith(webhook.Config{Provider: "github"}, webhooktest.Options{ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "pull_request"}),
			secret:    []byte("gh-secret"),
			sigHeader: "X-Hub-Signature-256",
			wantID:    "72d3162e-cc78-11e3-81ab-4c9367dc0958",
			wantType:  "github.pull_request.opened",
		},
		{
			name: "stripe",
			trigger: hookTrigger("stripe", webhook.Config{
				Provider: "stripe", Secrets: secrets("whsec_stripe_test"), Tolerance: tolerance,
			}, ""),
			body: `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"checkout.session.completed"}`,
			sign: func(t *testing.T, body, secret []byte, at time.Time) http.Header {
				p := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: string(secret), Timestamp: at})
				return http.Header{"Stripe-Signature": {p.Header}, "Content-Type": {"application/json; charset=utf-8"}}
			},
			secret:      []byte("whsec_stripe_test"),
			sigHeader:   "Stripe-Signature",
			timestamped: true,
			wantID:      "evt_1NG8Du2eZvKYlo2CUI79vXWy",
			wantType:    "stripe.checkout.session.completed",
		},
		{
			name: "standardwebhooks",
			trigger: hookTrigger("standardwebhooks", webhook.Config{
				Provider: "standardwebhooks", Secrets: secrets(swOld, swNew), Tolerance: tolerance,
			}, ""),
			body:        `{"type":"user.created","timestamp":"2025-01-01T00:00:00Z","data":{"id":1}}`,
			sign:        signWith(webhook.Config{Provider: "standardwebhooks"}, webhooktest.Options{ID: "msg_2b7Qn"}),
			secret:      []byte(swNew), // the rotated-in secret
			sigHeader:   "Webhook-Signature",
			timestamped: true,
			wantID:      "msg_2b7Qn",
			wantType:    "standardwebhooks.user.created",
		},
		{
			name: "slack",
			trigger: hookTrigger("slack", webhook.Config{
				Provider: "slack", Secrets: secrets("slack-signing-secret"), Tolerance: tolerance,
			}, ""),
			body:        `{"type":"event_callback","event_id":"Ev08MFMKH6","event":{"type":"app_mention","text":"hi"}}`,
			sign:        signWith(webhook.Config{Provider: "slack"}, webhooktest.Options{}),
			secret:      []byte("slack-signing-secret"),
			sigHeader:   "X-Slack-Signature",
			timestamped: true,
			wantID:      "Ev08MFMKH6",
			wantType:    "slack.app_mention",
		},
		{
			name: "hmac",
			trigger: hookTrigger("partner", func() webhook.Config {
				c := hmacScheme
				c.Secrets, c.Tolerance = secrets("partner-secret"), tolerance
				return c
			}(), "com.example.partner.notified"),
			body: `{"order":1}`,
			sign: signWith(webhook.Config{
				Provider: "hmac", Header: hmacScheme.Header, Prefix: hmacScheme.Prefix,
				TimestampHeader: hmacScheme.TimestampHeader, IDHeader: hmacScheme.IDHeader,
			}, webhooktest.Options{ID: "partner-delivery-9"}),
			secret:      []byte("partner-secret"),
			sigHeader:   "X-Signature",
			timestamped: true,
			wantID:      "partner-delivery-9",
			wantType:    "com.example.partner.notified",
		},
	}
}

// serveHook builds the hook with the WebhookBucket of env and serves it.
func serveHook(t *testing.T, env *trEnv, cfg HookConfig, log *logtest.Buffer) (string, *Hook) {
	t.Helper()
	opts := []Option{WithWebhookIDs(env.bucket(t, env.client, WebhookBucket, WebhookDedupTTL))}
	if log != nil {
		opts = append(opts, WithLogger(textLogger(log)))
	}
	h, err := NewHook(cfg, env.client, opts...)
	if err != nil {
		t.Fatalf("NewHook: %v", err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL + cfg.Path, h
}

func TestHookProviders(t *testing.T) {
	for _, hc := range hookCases() {
		t.Run(hc.name, func(t *testing.T) {
			env := newTrEnv(t, 0)
			var log logtest.Buffer
			url, _ := serveHook(t, env, hc.trigger, &log)
			body := []byte(hc.body)
			now := time.Now()

			type attempt struct {
				name   string
				header http.Header
				body   string
			}
			attempts := []attempt{
				{name: "tampered body", header: hc.sign(t, body, hc.secret, now), body: strings.Replace(hc.body, "}", ` }`, 1)},
				{name: "wrong secret", header: hc.sign(t, body, []byte("not-the-secret"), now), body: hc.body},
				{name: "missing signature header", header: func() http.Header {
					h := hc.sign(t, body, hc.secret, now)
					h.Del(hc.sigHeader)
					return h
				}(), body: hc.body},
				{name: "signature header sent twice", header: func() http.Header {
					h := hc.sign(t, body, hc.secret, now)
					h.Add(hc.sigHeader, hc.sign(t, body, []byte("not-the-secret"), now).Get(hc.sigHeader))
					return h
				}(), body: hc.body},
			}
			if hc.timestamped {
				attempts = append(attempts,
					attempt{name: "stale timestamp", header: hc.sign(t, body, hc.secret, now.Add(-10*time.Minute)), body: hc.body},
					attempt{name: "future timestamp", header: hc.sign(t, body, hc.secret, now.Add(10*time.Minute)), body: hc.body},
				)
			}
			for _, a := range attempts {
				ans := trDo(t, http.MethodPost, url, a.header, a.body)
				if ans.status != http.StatusUnauthorized || strings.TrimSpace(ans.body) != `{"error":"unauthorized"}` {
					t.Errorf("%s: answer %d %s, want 401 {\"error\":\"unauthorized\"}", a.name, ans.status, ans.body)
				}
			}
			if n := len(env.events(t)); n != 0 {
				t.Fatalf("stored %d events for refused deliveries", n)
			}
			if got := strings.Count(log.String(), `level=WARN msg="webhook rejected" trigger=`+hc.trigger.Name); got != len(attempts) {
				t.Errorf("%d warnings naming the trigger for %d refusals; log:\n%s", got, len(attempts), log.String())
			}

			valid := hc.sign(t, body, hc.secret, now)
			ans := trDo(t, http.MethodPost, url, valid, hc.body)
			if ans.status != http.StatusAccepted || !strings.Contains(ans.body, `"id":"`+hc.wantID+`"`) {
				t.Fatalf("valid delivery: %d %s", ans.status, ans.body)
			}
			for i := range 2 {
				ans = trDo(t, http.MethodPost, url, valid, hc.body)
				if ans.status != http.StatusOK || !strings.Contains(ans.body, `"duplicate":true`) {
					t.Errorf("replay %d: %d %s, want 200 duplicate", i+1, ans.status, ans.body)
				}
			}
			events := env.events(t)
			if len(events) != 1 {
				t.Fatalf("stored %d events, want 1", len(events))
			}
			e := events[0]
			checks := []struct{ what, got, want string }{
				{"id", e.ID(), hc.wantID},
				{"type", e.Type(), hc.wantType},
				{"source", e.Source(), "/fnmesh/triggers/" + hc.trigger.Name},
				{"data", string(e.Data()), hc.body},
				{"datacontenttype", e.DataContentType(), valid.Get("Content-Type")},
				{"webhookprovider", ext(e, WebhookProviderExtension), hc.trigger.Webhook.Provider},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			switch {
			case hc.timestamped && e.Time().Unix() != now.Unix():
				t.Errorf("time %v: want the signed timestamp %v", e.Time(), now.Unix())
			case !hc.timestamped && (e.Time().Before(now.Truncate(time.Second)) || e.Time().After(time.Now())):
				t.Errorf("time %v: want the time of receipt (after %v) for a scheme that signs none", e.Time(), now)
			}
		})
	}
}

func TestHookDeduplicatesBeyondTheDuplicateWindow(t *testing.T) {
	env := newTrEnv(t, time.Second)
	hc := hookCases()[0] // github: a redelivery carries the same signature and id
	withKV, _ := serveHook(t, env, hc.trigger, nil)

	plain := hc.trigger
	plain.Name = "github-no-bucket"
	h, err := NewHook(plain, env.client)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	withoutKV := hs.URL

	hdr := hc.sign(t, []byte(hc.body), hc.secret, time.Now())
	for _, url := range []string{withKV, withoutKV} {
		if a := trDo(t, http.MethodPost, url, hdr, hc.body); a.status != http.StatusAccepted {
			t.Fatalf("first delivery: %d %s", a.status, a.body)
		}
	}
	// Without the bucket a redelivery is a duplicate only within the
	// stream's 1s window: it is stored (202) once the window has passed,
	// for this trigger and for the one with the bucket, published first.
	poll.Until(t, 10*time.Second, "a redelivery without the bucket to be stored once the window passed", func() bool {
		a := trDo(t, http.MethodPost, withoutKV, hdr, hc.body)
		if a.status != http.StatusAccepted && (a.status != http.StatusOK || !strings.Contains(a.body, `"duplicate":true`)) {
			t.Fatalf("redelivery without the bucket: %d %s, want 200 duplicate within the window, then 202", a.status, a.body)
		}
		return a.status == http.StatusAccepted
	})
	if a := trDo(t, http.MethodPost, withKV, hdr, hc.body); a.status != http.StatusOK || !strings.Contains(a.body, `"duplicate":true`) {
		t.Errorf("redelivery with the bucket: %d %s, want 200 duplicate", a.status, a.body)
	}
	perSource := map[string]int{}
	for _, e := range env.events(t) {
		perSource[e.Source()]++
	}
	if perSource["/fnmesh/triggers/github"] != 1 || perSource["/fnmesh/triggers/github-no-bucket"] != 2 {
		t.Errorf("stored per source %v, want 1 with the bucket and 2 without", perSource)
	}
}

func TestHookReleasesTheIDWhenPublishFails(t *testing.T) {
	env := newTrEnv(t, 0)
	hc := hookCases()[1] // stripe
	pub := &flakyPublisher{fail: 1, next: env.client}
	h, err := NewHook(hc.trigger, pub, WithWebhookIDs(env.bucket(t, env.client, WebhookBucket, WebhookDedupTTL)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	hdr := hc.sign(t, []byte(hc.body), hc.secret, time.Now())
	if a := trDo(t, http.MethodPost, hs.URL, hdr, hc.body); a.status != http.StatusServiceUnavailable {
		t.Fatalf("while the broker fails: %d %s, want 503", a.status, a.body)
	}
	if a := trDo(t, http.MethodPost, hs.URL, hdr, hc.body); a.status != http.StatusAccepted {
		t.Fatalf("provider retry: %d %s, want 202", a.status, a.body)
	}
	if n := len(env.events(t)); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestHookTakesOverAStaleClaim(t *testing.T) {
	env := newTrEnv(t, 0)
	hc := hookCases()[0]
	url, h := serveHook(t, env, hc.trigger, nil)
	// A process claimed the delivery and stopped before publishing.
	if _, err := h.dedup.kv.Create(context.Background(), h.dedup.key(hc.wantID), []byte(deliveryPending)); err != nil {
		t.Fatal(err)
	}
	hdr := hc.sign(t, []byte(hc.body), hc.secret, time.Now())
	a := trDo(t, http.MethodPost, url, hdr, hc.body)
	if a.status != http.StatusConflict || a.header.Get("Retry-After") == "" {
		t.Fatalf("while the claim is recent: %d %s, want 409 with Retry-After", a.status, a.body)
	}
	h.dedup.pending = 0 // every unconfirmed claim is stale now
	if a = trDo(t, http.MethodPost, url, hdr, hc.body); a.status != http.StatusAccepted {
		t.Fatalf("after the claim went stale: %d %s, want 202", a.status, a.body)
	}
	if a = trDo(t, http.MethodPost, url, hdr, hc.body); a.status != http.StatusOK {
		t.Fatalf("replay: %d %s, want 200 duplicate", a.status, a.body)
	}
	if n := len(env.events(t)); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestHookSlackURLVerification(t *testing.T) {
	env := newTrEnv(t, 0)
	hc := hookCases()[3]
	url, _ := serveHook(t, env, hc.trigger, nil)
	body := `{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`

	a := trDo(t, http.MethodPost, url, http.Header{"Content-Type": {"application/json"}}, body)
	if a.status != http.StatusUnauthorized {
		t.Errorf("unsigned challenge: %d %s, want 401", a.status, a.body)
	}
	a = trDo(t, http.MethodPost, url, hc.sign(t, []byte(body), hc.secret, time.Now()), body)
	var got map[string]string
	if err := json.Unmarshal([]byte(a.body), &got); a.status != http.StatusOK || err != nil || got["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("signed challenge: %d %s, want 200 with the challenge", a.status, a.body)
	}
	if n := len(env.events(t)); n != 0 {
		t.Errorf("stored %d events for a url_verification", n)
	}
}

func TestHookRejectsBadRequests(t *testing.T) {
	env := newTrEnv(t, 0)
	stripeCase := hookCases()[1]
	limited := stripeCase.trigger
	limited.MaxBodyBytes = 1024
	h, err := NewHook(limited, env.client)
	if err != nil {
		t.Fatal(err)
	}
	noID := `{"object":"event","type":"charge.succeeded"}`
	tests := []struct {
		name       string
		method     string
		header     http.Header
		body       string
		wantStatus int
	}{
		{name: "GET", method: http.MethodGet, wantStatus: 405},
		{name: "body over the limit", method: http.MethodPost, body: strings.Repeat("x", 1025), wantStatus: 413},
		{name: "verified event without id", method: http.MethodPost, header: stripeCase.sign(t, []byte(noID), stripeCase.secret, time.Now()), body: noID, wantStatus: 400},
		{name: "garbage signature header", method: http.MethodPost, header: http.Header{"Stripe-Signature": {"t=x,v1=zz"}}, body: "{}", wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/hooks/stripe", strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 405 && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow %q", rec.Header().Get("Allow"))
			}
		})
	}
	if n := len(env.events(t)); n != 0 {
		t.Errorf("stored %d events", n)
	}
}

func TestNewHookConfigErrors(t *testing.T) {
	env := newTrEnv(t, 0)
	base := hookCases()[0].trigger
	tests := []struct {
		name string
		edit func(*webhook.Config)
		want string
	}{
		{name: "no secret", edit: func(w *webhook.Config) { w.Secrets = nil }, want: "webhook: secrets: at least one secret is required"},
		{name: "secret of white space", edit: func(w *webhook.Config) { w.Secrets = secrets("new", " \n") }, want: "webhook: secrets[1]: must not be white space only"},
		{name: "unknown provider", edit: func(w *webhook.Config) { w.Provider = "gitlab" }, want: "provider"},
		{name: "hmac without header", edit: func(w *webhook.Config) { w.Provider = "hmac" }, want: "header"},
		{name: "bad standard webhooks secret", edit: func(w *webhook.Config) {
			w.Provider = "standardwebhooks"
			w.Secrets = secrets("whsec_***")
		}, want: "secrets[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg.Webhook)
			_, err := NewHook(cfg, env.client)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `trigger "github"`) {
				t.Errorf("error %v, want one naming the trigger and %q", err, tt.want)
			}
		})
	}
}
