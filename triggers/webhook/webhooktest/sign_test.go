package webhooktest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// TestSignVectors checks the signer against the providers' published
// examples, independently of the verifiers.
func TestSignVectors(t *testing.T) {
	tests := []struct {
		name   string
		cfg    webhook.Config
		body   string
		opts   webhooktest.Options
		header string
		want   string
	}{
		{
			name:   "github",
			cfg:    webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{[]byte("It's a Secret to Everybody")}},
			body:   "Hello, World!",
			header: "X-Hub-Signature-256",
			want:   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		},
		{
			name:   "standard webhooks",
			cfg:    webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}},
			body:   `{"test": 2432232314}`,
			opts:   webhooktest.Options{ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Time: time.Unix(1614265330, 0), Svix: true},
			header: "Svix-Signature",
			want:   "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		},
		{
			name:   "slack",
			cfg:    webhook.Config{Provider: webhook.ProviderSlack, Secrets: [][]byte{[]byte("8f742231b10e8888abcd99yyyzzz85a5")}},
			body:   "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
			opts:   webhooktest.Options{Time: time.Unix(1531420618, 0)},
			header: "X-Slack-Signature",
			want:   "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := webhooktest.Sign(tt.cfg, []byte(tt.body), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Get(tt.header); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	s := [][]byte{[]byte("s")}
	tests := []struct {
		name    string
		cfg     webhook.Config
		opts    webhooktest.Options
		wantCfg bool
	}{
		{name: "invalid config", cfg: webhook.Config{Provider: "nope", Secrets: s}, wantCfg: true},
		{name: "secret index too high", cfg: webhook.Config{Provider: webhook.ProviderGitHub, Secrets: s}, opts: webhooktest.Options{Secret: 1}},
		{name: "negative secret index", cfg: webhook.Config{Provider: webhook.ProviderGitHub, Secrets: s}, opts: webhooktest.Options{Secret: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhooktest.Sign(tt.cfg, nil, tt.opts)
			if err == nil {
				t.Fatal("Sign succeeded")
			}
			if got := errors.Is(err, webhook.ErrConfig); got != tt.wantCfg {
				t.Errorf("errors.Is(%v, ErrConfig) = %v, want %v", err, got, tt.wantCfg)
			}
		})
	}
}
