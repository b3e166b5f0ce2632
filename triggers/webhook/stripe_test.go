package webhook_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// TestStripeAgainstStripeGo verifies headers produced by Stripe's own Go
// library, including a header carrying two v1 signatures as Stripe sends
// while a secret is being rolled.
func TestStripeAgainstStripeGo(t *testing.T) {
	const (
		oldSecret = "whsec_old_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
		newSecret = "whsec_new_ZCvqO2JyKz8mBZCLprAKsDXQb2aFw3XP"
	)
	body := []byte(`{"id":"evt_3NQX","object":"event","type":"payment_intent.succeeded","data":{"object":{}}}`)
	signed := func(secret string, at time.Time, scheme string) string {
		return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{
			Payload: body, Secret: secret, Timestamp: at, Scheme: scheme,
		}).Header
	}
	// rolled builds the header Stripe sends while two secrets are live.
	rolled := func(at time.Time) string {
		a := signed(oldSecret, at, "v1")
		b := signed(newSecret, at, "v1")
		return a + "," + b[strings.Index(b, "v1="):] + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
	}
	tests := []struct {
		name      string
		secrets   []string
		tolerance time.Duration
		header    string
		wantErr   error
	}{
		{name: "one secret", secrets: []string{newSecret}, header: signed(newSecret, now, "")},
		{name: "rolled header, verifier knows old", secrets: []string{oldSecret}, header: rolled(now)},
		{name: "rolled header, verifier knows new", secrets: []string{newSecret}, header: rolled(now)},
		{name: "verifier holds both, signed with old", secrets: []string{newSecret, oldSecret}, header: signed(oldSecret, now, "v1")},
		{name: "verifier knows neither", secrets: []string{"whsec_other"}, header: rolled(now), wantErr: webhook.ErrSignature},
		{name: "only a v0 signature", secrets: []string{newSecret}, header: signed(newSecret, now, "v0"), wantErr: webhook.ErrSignature},
		{name: "299s old", secrets: []string{newSecret}, header: signed(newSecret, now.Add(-299*time.Second), "")},
		{name: "301s old", secrets: []string{newSecret}, header: signed(newSecret, now.Add(-301*time.Second), ""), wantErr: webhook.ErrTimestamp},
		{name: "301s ahead", secrets: []string{newSecret}, header: signed(newSecret, now.Add(301*time.Second), ""), wantErr: webhook.ErrTimestamp},
		{name: "custom tolerance", secrets: []string{newSecret}, tolerance: time.Hour, header: signed(newSecret, now.Add(-59*time.Minute), "")},
		{name: "beyond custom tolerance", secrets: []string{newSecret}, tolerance: time.Minute, header: signed(newSecret, now.Add(-61*time.Second), ""), wantErr: webhook.ErrTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := webhook.Config{Provider: webhook.ProviderStripe, Tolerance: tt.tolerance}
			for _, s := range tt.secrets {
				cfg.Secrets = append(cfg.Secrets, []byte(s))
			}
			v, err := webhook.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(http.Header{"Stripe-Signature": {tt.header}}, body, now)
			if !matches(err, tt.wantErr) {
				t.Fatalf("Verify(%q) error = %v, want %v", tt.header, err, tt.wantErr)
			}
			if err == nil && (got.ID != "evt_3NQX" || got.Type != "payment_intent.succeeded") {
				t.Errorf("Verify = %+v, want evt_3NQX payment_intent.succeeded", got)
			}
		})
	}
}

// TestStripePayload checks that an authentic body without the event's id or
// type is reported as ErrPayload, not as a signature problem.
func TestStripePayload(t *testing.T) {
	const secret = "whsec_test"
	v, err := webhook.New(webhook.Config{Provider: webhook.ProviderStripe, Secrets: [][]byte{[]byte(secret)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{name: "event", body: `{"id":"evt_1","type":"customer.created"}`},
		{name: "not json", body: `id=evt_1`, wantErr: webhook.ErrPayload},
		{name: "json array", body: `[]`, wantErr: webhook.ErrPayload},
		{name: "no id", body: `{"type":"customer.created"}`, wantErr: webhook.ErrPayload},
		{name: "id not a string", body: `{"id":1,"type":"customer.created"}`, wantErr: webhook.ErrPayload},
		{name: "no type", body: `{"id":"evt_1"}`, wantErr: webhook.ErrPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{
				Payload: []byte(tt.body), Secret: secret, Timestamp: now,
			}).Header
			_, err := v.Verify(http.Header{"Stripe-Signature": {header}}, []byte(tt.body), now)
			if !matches(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
