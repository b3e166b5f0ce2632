package cebind

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// WriteBinary sets the "ce-" headers and Content-Type of e on h (the
// CloudEvents HTTP binding's binary mode) and returns the body: the event's
// data, unchanged. Values are percent-encoded as the binding asks (space,
// '"', '%' and every byte outside printable ASCII become "%XX"); time is
// RFC 3339 in UTC; extensions are written in their canonical string form,
// in name order. An extension value that is not a CloudEvents type is an
// *AttributeError naming it.
func WriteBinary(h http.Header, e *event.Event) ([]byte, error) {
	set := func(name, value string) {
		if value != "" {
			h.Set(hdrPrefix+name, EscapeHTTPValue(value))
		}
	}
	set("specversion", e.SpecVersion())
	set("id", e.ID())
	set("source", e.Source())
	set("type", e.Type())
	set("subject", e.Subject())
	set("dataschema", e.DataSchema())
	if t := e.Time(); !t.IsZero() {
		set("time", types.FormatTime(t))
	}
	ext := e.Extensions()
	names := make([]string, 0, len(ext))
	for name := range ext {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s, err := formatExtension(ext[name])
		if err != nil {
			return nil, &AttributeError{Attribute: name, Err: fmt.Errorf("cannot be written: %w", err)}
		}
		set(name, s)
	}
	if ct := e.DataContentType(); ct != "" {
		h.Set("Content-Type", ct)
	}
	return e.Data(), nil
}
