package cebind

import (
	"strings"

	"github.com/nats-io/nats.go"
)

// SetExtensionHeader sets extension name to the canonical string form of v
// in the "ce-" headers of a NATS message that is not necessarily a valid
// CloudEvent (a raw dead letter), replacing a header of that name in any
// case. The value is written raw, as EncodeMsg writes it, and the message
// is marked as written in the current convention: "ce-" headers copied
// from a message of an earlier version are then read as they are.
func SetExtensionHeader(h nats.Header, name string, v any) error {
	s, err := formatExtension(v)
	if err != nil {
		return &AttributeError{Attribute: name, Err: err}
	}
	for k := range h {
		if strings.EqualFold(k, hdrPrefix+name) {
			delete(h, k)
		}
	}
	if why := natsValueProblem(s); why != "" {
		return attrErr(name, "%s", why)
	}
	h.Set(hdrPrefix+name, s)
	h.Set(hdrCodec, codecRaw)
	return nil
}

// ExtensionHeader returns the value of extension name from the "ce-"
// headers of a NATS message that is not necessarily a valid CloudEvent, as
// DecodeMsg would read it, and whether the header is there.
func ExtensionHeader(h nats.Header, name string) (string, bool) {
	if vs, ok := h[hdrPrefix+name]; ok && len(vs) > 0 {
		return valueDecoder(h)(vs[0]), true
	}
	return "", false
}
