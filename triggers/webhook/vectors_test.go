package webhook_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// TestPublishedVectors verifies the examples the providers publish in their
// own documentation, so the schemes are checked against an outside source.
func TestPublishedVectors(t *testing.T) {
	tests := []struct {
		name   string
		cfg    webhook.Config
		header http.Header
		body   string
		now    time.Time
		want   webhook.Delivery
	}{
		{
			name: "github docs",
			cfg:  webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{[]byte("It's a Secret to Everybody")}},
			header: http.Header{
				"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
				"X-Github-Delivery":   {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
				"X-Github-Event":      {"ping"},
			},
			body: "Hello, World!",
			now:  time.Unix(0, 0),
			want: webhook.Delivery{ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Type: "ping"},
		},
		{
			name: "slack docs",
			cfg:  webhook.Config{Provider: webhook.ProviderSlack, Secrets: [][]byte{[]byte("8f742231b10e8888abcd99yyyzzz85a5")}},
			header: http.Header{
				"X-Slack-Signature":         {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
				"X-Slack-Request-Timestamp": {"1531420618"},
			},
			body: slackDocsBody,
			now:  time.Unix(1531420618, 0),
			want: webhook.Delivery{
				ID:   slackDocsID,
				Type: "slash_command",
				Time: time.Unix(1531420618, 0),
			},
		},
		{
			name: "standard webhooks spec",
			cfg:  webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}},
			header: http.Header{
				"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				"Webhook-Timestamp": {"1614265330"},
				"Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			},
			body: `{"test": 2432232314}`,
			now:  time.Unix(1614265330, 0),
			want: webhook.Delivery{ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Time: time.Unix(1614265330, 0)},
		},
		{
			name: "standard webhooks spec under svix names",
			cfg:  webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}},
			header: http.Header{
				"Svix-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				"Svix-Timestamp": {"1614265330"},
				"Svix-Signature": {"v1a,AAAA v1,bm90IGl0 v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			},
			body: `{"test": 2432232314}`,
			now:  time.Unix(1614265330+299, 0),
			want: webhook.Delivery{ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Time: time.Unix(1614265330, 0)},
		},
		{
			name: "github vector through the generic hmac scheme",
			cfg: webhook.Config{
				Provider: webhook.ProviderHMAC, Secrets: [][]byte{[]byte("It's a Secret to Everybody")},
				Header: "X-Hub-Signature-256", Prefix: "sha256=", IDHeader: "X-GitHub-Delivery",
			},
			header: http.Header{
				"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
				"X-Github-Delivery":   {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
			},
			body: "Hello, World!",
			now:  time.Unix(0, 0),
			want: webhook.Delivery{ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		},
		{
			name: "slack vector through the generic hmac scheme",
			cfg: webhook.Config{
				Provider: webhook.ProviderHMAC, Secrets: [][]byte{[]byte("8f742231b10e8888abcd99yyyzzz85a5")},
				Header: "X-Slack-Signature", Prefix: "v0=", TimestampHeader: "X-Slack-Request-Timestamp",
				SignedContent: "v0:{timestamp}:{body}",
			},
			header: http.Header{
				"X-Slack-Signature":         {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
				"X-Slack-Request-Timestamp": {"1531420618"},
			},
			body: slackDocsBody,
			now:  time.Unix(1531420618, 0),
			want: webhook.Delivery{ID: slackDocsID, Time: time.Unix(1531420618, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhook.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tt.header, []byte(tt.body), tt.now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.ID != tt.want.ID || got.Type != tt.want.Type || got.Challenge != tt.want.Challenge || !got.Time.Equal(tt.want.Time) {
				t.Errorf("Verify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// slackDocsBody is the slash command body from Slack's "Verifying requests
// from Slack" documentation.
const slackDocsBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"

// slackDocsID is the id derived for the Slack docs request (no event_id in
// a slash command). It is pinned because changing the derivation would break
// dedup of requests in flight across an upgrade.
const slackDocsID = "d52ea3d4b14948dcee33ff0a410af032"
