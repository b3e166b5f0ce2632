package webhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// A GitHub delivery, using the example from GitHub's documentation.
func ExampleNew() {
	v, err := webhook.New(webhook.Config{
		Provider: webhook.ProviderGitHub,
		Secrets:  [][]byte{[]byte("It's a Secret to Everybody")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set("X-GitHub-Event", "ping")

	d, err := v.Verify(h, []byte("Hello, World!"), time.Now())
	fmt.Println(d.ID, d.Type, err)

	_, err = v.Verify(h, []byte("Hello, World?"), time.Now())
	fmt.Println(errors.Is(err, webhook.ErrSignature))
	// Output:
	// 72d3162e-cc78-11e3-81ab-4c9367dc0958 ping <nil>
	// true
}

// Rotating a Standard Webhooks secret: both secrets are accepted while the
// sender moves from the old one to the new one.
func ExampleNew_rotation() {
	v, err := webhook.New(webhook.Config{
		Provider: webhook.ProviderStandardWebhooks,
		Secrets: [][]byte{
			[]byte("whsec_bmV3IHNlY3JldCBieXRlcw=="),
			[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)

	d, err := v.Verify(h, body, time.Unix(1614265330, 0))
	fmt.Println(d.ID, err)

	_, err = v.Verify(h, body, time.Unix(1614265330, 0).Add(time.Hour))
	fmt.Println(errors.Is(err, webhook.ErrTimestamp))
	// Output:
	// msg_p5jXN8AQM9LWM0D4loKWxJek <nil>
	// true
}

// A generic HMAC scheme: base64 SHA-512 over "<timestamp>.<body>".
func ExampleConfig_hmac() {
	cfg := webhook.Config{
		Provider:        webhook.ProviderHMAC,
		Secrets:         [][]byte{[]byte("secret")},
		Header:          "X-Signature",
		Algorithm:       "sha512",
		Encoding:        "base64",
		TimestampHeader: "X-Timestamp",
		IDHeader:        "X-Delivery-Id",
		Tolerance:       time.Minute,
	}
	fmt.Println(cfg.Validate())

	cfg.SignedContent = "{body}"
	fmt.Println(cfg.Validate())
	// Output:
	// <nil>
	// webhook: invalid config: signedContent: must contain {timestamp} when timestampHeader is set, or the timestamp is not authenticated
}
