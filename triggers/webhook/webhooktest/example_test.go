package webhooktest_test

import (
	"fmt"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// Sign a Slack request and verify it.
func ExampleSign() {
	cfg := webhook.Config{Provider: webhook.ProviderSlack, Secrets: [][]byte{[]byte("8f742231b10e8888abcd99yyyzzz85a5")}}
	body := []byte(`{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`)
	at := time.Unix(1531420618, 0)

	h, err := webhooktest.Sign(cfg, body, webhooktest.Options{Time: at})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := webhook.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := v.Verify(h, body, at)
	fmt.Println(d.Type, d.Challenge, err)
	// Output: url_verification 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P <nil>
}
