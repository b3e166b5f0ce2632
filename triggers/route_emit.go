package triggers

import (
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnmesh/fnmesh/internal/config"
)

// ErrConfig is wrapped by every error a trigger constructor returns for a
// configuration it cannot run; the message names the trigger, the field and
// the rule.
var ErrConfig = errors.New("invalid trigger configuration")

// configErr builds an error wrapping ErrConfig: `trigger "name": field: rule`.
func configErr(trigger, field, format string, args ...any) error {
	return fmt.Errorf("%w: trigger %q: %s: %s", ErrConfig, trigger, field, fmt.Sprintf(format, args...))
}

// emitter holds the checked attributes that every event of one trigger
// carries (the trigger's emit block) and stamps them on new events.
type emitter struct {
	trigger string
	typ     string
	source  types.URIRef
	subject string
	ext     map[string]string
}

// newEmitter checks t.Emit. The type is required when typeRequired is set;
// the source defaults to "/fnmesh/triggers/<name>".
func newEmitter(t config.Trigger, typeRequired bool) (emitter, error) {
	em := emitter{trigger: t.Name, typ: t.Emit.Type, subject: t.Emit.Subject}
	if t.Name == "" {
		return emitter{}, fmt.Errorf("%w: name: required", ErrConfig)
	}
	if typeRequired && t.Emit.Type == "" {
		return emitter{}, configErr(t.Name, "emit.type", "required")
	}
	if err := checkString("type", t.Emit.Type); err != nil {
		return emitter{}, configErr(t.Name, "emit.type", "%v", err)
	}
	if err := checkString("subject", t.Emit.Subject); err != nil {
		return emitter{}, configErr(t.Name, "emit.subject", "%v", err)
	}
	source := t.Emit.Source
	if source == "" {
		source = config.DefaultTriggerSourcePrefix + t.Name
	}
	u, ok := parseURIRef(source)
	if !ok {
		return emitter{}, configErr(t.Name, "emit.source", "must be a URI-reference (RFC 3986), got %q", source)
	}
	em.source = types.URIRef{URL: *u}
	for name, v := range t.Emit.Extensions {
		field := "emit.extensions[" + strconv.Quote(name) + "]"
		if err := checkExtensionName(name); err != nil {
			return emitter{}, configErr(t.Name, field, "%v", err)
		}
		if err := checkString(name, v); err != nil {
			return emitter{}, configErr(t.Name, field, "%v", err)
		}
	}
	em.ext = maps.Clone(t.Emit.Extensions)
	return em, nil
}

// checkExtensionName checks that name can be an extension attribute: 1-20
// lower-case letters or digits, and neither a core attribute nor "data".
func checkExtensionName(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if isCoreAttribute(name) {
		return attrErr(name, ruleNameReserved)
	}
	return nil
}

// event returns a new event with id and the trigger's fixed attributes. typ
// overrides the configured type when not empty.
func (em emitter) event(id, typ string) *event.Event {
	if em.typ != "" {
		typ = em.typ
	}
	ec := event.EventContextV1{ID: id, Type: typ, Source: em.source}
	if em.subject != "" {
		s := em.subject
		ec.Subject = &s
	}
	if len(em.ext) > 0 {
		ec.Extensions = make(map[string]any, len(em.ext)+2)
		for k, v := range em.ext {
			ec.Extensions[k] = v
		}
	}
	return &event.Event{Context: &ec}
}

// setExtension sets a string extension on e, which was made by event.
func setExtension(e *event.Event, name, value string) {
	ec := e.Context.(*event.EventContextV1)
	if ec.Extensions == nil {
		ec.Extensions = make(map[string]any, 2)
	}
	ec.Extensions[name] = value
}

// isPrintableASCII reports whether s holds only printable ASCII (space to
// tilde).
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
