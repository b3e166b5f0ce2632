package triggers

import (
	"encoding/json"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// event builds the CloudEvent of a verified delivery.
func (h *Hook) event(d webhook.Delivery, hdr http.Header, body []byte) (*event.Event, error) {
	if d.ID == "" {
		return nil, attrErr("id", ruleNonEmpty)
	}
	if err := checkString("id", d.ID); err != nil {
		return nil, err
	}
	typ := h.provider
	if dt := deliveryType(h.provider, d, body); dt != "" {
		typ += "." + dt
	}
	if err := checkString("type", typ); err != nil {
		return nil, err
	}
	at := d.Time
	if at.IsZero() {
		at = h.clock.Now() // the scheme signs no timestamp: the time of receipt
	}
	e := h.emit.event(d.ID, typ, at.UTC())
	setExtension(e, WebhookProviderExtension, h.provider)
	if len(body) > 0 {
		ct, err := routeContentType(hdr)
		if err != nil {
			// The delivery is authentic; a broken Content-Type should not
			// make the provider retry it forever.
			ct = defaultContentType
		}
		e.SetDataContentType(ct)
		e.DataEncoded = body
	}
	return e, nil
}

// deliveryType is the provider's event type of a delivery: what the
// verifier found, or for Standard Webhooks the payload's "type" member
// (the scheme's payload structure carries it there).
func deliveryType(provider string, d webhook.Delivery, body []byte) string {
	if d.Type != "" || provider != webhook.ProviderStandardWebhooks {
		return d.Type
	}
	var p struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	s, _ := p.Type.(string)
	return s
}
