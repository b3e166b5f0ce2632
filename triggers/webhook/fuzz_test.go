package webhook_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// FuzzVerify feeds every provider arbitrary bodies and header values. A
// request signed by webhooktest must verify (Stripe may still reject the
// body as ErrPayload); any failure must wrap one of the package's sentinels;
// success must yield a non-empty id.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), []byte(`{"action":"opened"}`), true, "", "", "application/json")
	f.Add(uint8(1), []byte(`{"id":"evt_1","type":"a.b"}`), true, "", "", "")
	f.Add(uint8(1), []byte(`{"id":"evt_1","type":"a.b"}`), true, "Stripe-Signature", "t=1750000000,v1=zz,v1=", "")
	f.Add(uint8(2), []byte(`{"test": 2432232314}`), true, "Webhook-Signature", "v1a,x v1,AAAA", "")
	f.Add(uint8(2), []byte(`{}`), false, "Svix-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "")
	f.Add(uint8(3), []byte(`{"type":"url_verification","challenge":"c"}`), true, "", "", "")
	f.Add(uint8(3), []byte("payload=%7B%22type%22%3A%22block_actions%22%7D"), true, "X-Slack-Request-Timestamp", "99999999999999999999", "")
	f.Add(uint8(4), []byte(`x`), true, "X-Timestamp", "-9223372036854775808", "")
	f.Add(uint8(5), []byte(``), false, "X-Signature", "sha1=", "")
	f.Add(uint8(0), []byte("payload=%7B%22action%22%3A1%7D"), true, "", "", "application/x-www-form-urlencoded; charset=%")
	ps := providers()
	verifiers := make([]webhook.Verifier, len(ps))
	for i, p := range ps {
		v, err := webhook.New(p.cfg)
		if err != nil {
			f.Fatal(err)
		}
		verifiers[i] = v
	}
	sentinels := []error{webhook.ErrMissingHeader, webhook.ErrMalformedHeader, webhook.ErrSignature, webhook.ErrTimestamp, webhook.ErrPayload}
	f.Fuzz(func(t *testing.T, which uint8, body []byte, sign bool, name, value, contentType string) {
		i := int(which) % len(ps)
		p, v := ps[i], verifiers[i]
		h := http.Header{}
		if sign {
			var err error
			if h, err = webhooktest.Sign(p.cfg, body, webhooktest.Options{Time: now, Event: "push"}); err != nil {
				t.Fatal(err)
			}
		}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		if name != "" {
			h.Set(name, value)
		}
		d, err := v.Verify(h, body, now)
		if err != nil {
			n := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s: error %q wraps %d sentinels, want 1", p.name, err, n)
			}
			if sign && name == "" && !(p.cfg.Provider == webhook.ProviderStripe && errors.Is(err, webhook.ErrPayload)) {
				t.Fatalf("%s: signed request rejected: %v", p.name, err)
			}
			return
		}
		if d.ID == "" {
			t.Fatalf("%s: verified delivery has no id", p.name)
		}
	})
}
