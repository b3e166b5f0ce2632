package triggers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzHookRequest sends arbitrary bodies and headers, signed or not, to the
// webhook handler of every provider, storing into a real broker with the
// delivery-id bucket. The handler must never panic and never answer 5xx,
// and a correctly signed delivery (no header overridden) must never be
// refused as unauthorized. The header parsers themselves are fuzzed in
// package webhook; this covers what the handler builds from a verified
// delivery (ids and types chosen by the sender, bodies of any kind).
func FuzzHookRequest(f *testing.F) {
	for i, hc := range hookCases() {
		f.Add(uint8(i), []byte(hc.body), true, "", "", "application/json")
	}
	f.Add(uint8(1), []byte(`{"id":"evt\u0001","type":"a"}`), true, "", "", "")
	f.Add(uint8(1), []byte(`{"id":"e","type":"\u007f"}`), true, "", "", "")
	f.Add(uint8(3), []byte(`{"type":"url_verification","challenge":"c"}`), true, "", "", "")
	f.Add(uint8(3), []byte("command=%2Fdeploy&text=now"), true, "", "", "application/x-www-form-urlencoded")
	f.Add(uint8(2), []byte(`{"type":7}`), true, "Content-Type", "text/", "")
	f.Add(uint8(0), []byte(`{}`), true, "X-GitHub-Event", "push\t", "")
	f.Add(uint8(4), []byte(`x`), false, "X-Signature", "sha256=00", "")

	env := newTrEnv(f, 0)
	kv := env.bucket(f, env.client, WebhookBucket, time.Hour)
	cases := hookCases()
	hooks := make([]*Hook, len(cases))
	for i, hc := range cases {
		cfg := hc.trigger
		cfg.MaxBodyBytes = 64 << 10
		h, err := NewHook(cfg, env.client, WithWebhookIDs(kv))
		if err != nil {
			f.Fatal(err)
		}
		hooks[i] = h
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte, sign bool, name, value, contentType string) {
		i := int(which) % len(cases)
		hc, h := cases[i], hooks[i]
		hdr := http.Header{}
		if sign {
			hdr = hc.sign(t, body, hc.secret, time.Now())
		}
		if contentType != "" {
			hdr.Set("Content-Type", contentType)
		}
		if name != "" {
			hdr[name] = []string{value}
		}
		req := httptest.NewRequest(http.MethodPost, hc.trigger.Path, bytes.NewReader(body))
		req.Header = hdr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(t.Context()))
		if rec.Code >= 500 {
			t.Fatalf("%s: status %d: %s", hc.name, rec.Code, rec.Body)
		}
		if sign && name == "" && rec.Code == http.StatusUnauthorized {
			d, err := h.verifier.Verify(hdr, body, time.Now())
			t.Fatalf("%s: signed delivery refused (%+v, %v)", hc.name, d, err)
		}
	})
}
