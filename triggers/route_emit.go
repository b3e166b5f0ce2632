package triggers

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// ErrConfig is wrapped by every error a trigger constructor returns for a
// configuration it cannot run; the message names the trigger, the field and
// the rule.
var ErrConfig = errors.New("invalid trigger configuration")

// ConfigError is a setting a trigger cannot run with. It wraps ErrConfig.
type ConfigError struct {
	// Trigger is the name of the trigger; empty for the ingest endpoint.
	Trigger string
	// Field is the setting, named as in the mesh file ("cron.schedule").
	Field string
	// Rule is the rule it breaks, in words.
	Rule string
}

// Error implements error: `invalid trigger configuration: trigger "name":
// field: rule`.
func (e *ConfigError) Error() string {
	if e.Trigger == "" {
		return fmt.Sprintf("%v: %s: %s", ErrConfig, e.Field, e.Rule)
	}
	return fmt.Sprintf("%v: trigger %q: %s: %s", ErrConfig, e.Trigger, e.Field, e.Rule)
}

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// configErr builds a *ConfigError.
func configErr(trigger, field, format string, args ...any) error {
	return &ConfigError{Trigger: trigger, Field: field, Rule: fmt.Sprintf(format, args...)}
}

// DefaultSourcePrefix is the source of a trigger's events when its emit
// block sets none: DefaultSourcePrefix + the trigger's name.
const DefaultSourcePrefix = "/fnmesh/triggers/"

// Emit sets the attributes of the events a trigger makes.
type Emit struct {
	// Type of the events; required for routes and cron triggers. A webhook
	// without one names its events "<provider>.<provider event type>".
	Type string
	// Source of the events. Default DefaultSourcePrefix + trigger name.
	Source string
	// Subject of the events, if any.
	Subject string
	// Extensions are extension attributes every event carries (names of
	// 1-20 lower-case letters or digits, not a core attribute).
	Extensions map[string]string
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

// newEmitter checks the emit block of the trigger named name. The type is
// required when typeRequired is set; the source defaults to
// DefaultSourcePrefix + name.
func newEmitter(name string, emit Emit, typeRequired bool) (emitter, error) {
	em := emitter{trigger: name, typ: emit.Type, subject: emit.Subject}
	if name == "" {
		return emitter{}, fmt.Errorf("%w: name: required", ErrConfig)
	}
	if typeRequired && emit.Type == "" {
		return emitter{}, configErr(name, "emit.type", "required")
	}
	if err := checkString("type", emit.Type); err != nil {
		return emitter{}, configErr(name, "emit.type", "%v", err)
	}
	if err := checkString("subject", emit.Subject); err != nil {
		return emitter{}, configErr(name, "emit.subject", "%v", err)
	}
	source := emit.Source
	if source == "" {
		source = DefaultSourcePrefix + name
	}
	u, ok := parseURIRef(source)
	if !ok {
		return emitter{}, configErr(name, "emit.source", "must be a URI-reference (RFC 3986), got %q", source)
	}
	em.source = types.URIRef{URL: *u}
	for _, ext := range sortedKeys(emit.Extensions) {
		field := "emit.extensions[" + strconv.Quote(ext) + "]"
		if err := checkExtensionName(ext); err != nil {
			return emitter{}, configErr(name, field, "%v", err)
		}
		if err := checkString(ext, emit.Extensions[ext]); err != nil {
			return emitter{}, configErr(name, field, "%v", err)
		}
	}
	em.ext = maps.Clone(emit.Extensions)
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

// event returns a new event with id, time at and the trigger's fixed
// attributes: every event a trigger makes carries the time it was made (a
// cron tick, a signed webhook timestamp, the time of a request). typ is the
// type when the trigger configures none.
func (em emitter) event(id, typ string, at time.Time) *event.Event {
	if em.typ != "" {
		typ = em.typ
	}
	ec := event.EventContextV1{ID: id, Type: typ, Source: em.source, Time: &types.Timestamp{Time: at}}
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
