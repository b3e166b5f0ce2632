package workers

import (
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// attributeValue returns the canonical string form of the context attribute
// or extension called name, and whether the event has it. Optional context
// attributes that are unset (subject, time, dataschema, datacontenttype)
// count as missing.
func attributeValue(e *event.Event, name string) (string, bool) {
	var v string
	switch name {
	case "specversion":
		v = e.SpecVersion()
	case "id":
		v = e.ID()
	case "source":
		v = e.Source()
	case "type":
		v = e.Type()
	case "subject":
		v = e.Subject()
	case "time":
		t := e.Time()
		if t.IsZero() {
			return "", false
		}
		return types.FormatTime(t), true
	case "dataschema":
		v = e.DataSchema()
	case "datacontenttype":
		v = e.DataContentType()
	default:
		x, ok := extension(e, name)
		if !ok {
			return "", false
		}
		s, err := types.Format(x)
		return s, err == nil
	}
	return v, v != ""
}

// extension reads one extension attribute without copying the extension
// map, as event.Extensions() does for every call.
func extension(e *event.Event, name string) (any, bool) {
	if ec, ok := e.Context.(*event.EventContextV1); ok {
		v, ok := ec.Extensions[name]
		return v, ok
	}
	v, ok := e.Extensions()[name]
	return v, ok
}
