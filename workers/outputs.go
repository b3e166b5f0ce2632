package workers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/google/uuid"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/cebind"
)

// Extensions set on every event a handler returns.
const (
	// ExtCausationID is the id of the event whose handling produced this one.
	ExtCausationID = cebind.CausationID
	// ExtCorrelationID is the correlationid of the first event of a chain
	// (its id, when it had none).
	ExtCorrelationID = cebind.CorrelationID
)

// outputNamespace scopes the ids generated for returned events.
var outputNamespace = uuid.MustParse("5a0c6f6e-8d4f-4a4e-9a0e-6d8e3b1f2c77")

// SourcePrefix is the source of events returned by handlers that set none:
// SourcePrefix + function name.
const SourcePrefix = "/fnmesh/functions/"

// prepareOutputs completes the events a handler returned for input in:
// unless set, id, source ("/fnmesh/functions/<fn>"), specversion 1.0 and
// time; always causationid and correlationid. A generated id is a
// name-based UUID (version 5) of the function, the input's source and id
// and the output's position, so the outputs of a retried attempt get the
// same ids and the broker's de-duplication stores them once. The
// redrivefunction extension is removed. An output that
// is not a valid event is a permanent error: retrying would return it again.
func prepareOutputs(fn string, in inputRef, outs []event.Event, now time.Time) error {
	correlation := in.correlation
	for i := range outs {
		o := &outs[i]
		if o.Context == nil {
			o.Context = &event.EventContextV1{}
		}
		if o.SpecVersion() == "" {
			o.SetSpecVersion(event.CloudEventsVersionV1)
		}
		if o.ID() == "" {
			name := fn + "\x00" + in.source + "\x00" + in.id + "\x00" + strconv.Itoa(i)
			o.SetID(uuid.NewSHA1(outputNamespace, []byte(name)).String())
		}
		if o.Source() == "" {
			o.SetSource(SourcePrefix + fn)
		}
		if o.Time().IsZero() {
			o.SetTime(now)
		}
		// A handler that re-emits a copy of a redriven input must not pass on
		// the redrive target: the copy is a new event for every function.
		_ = o.Context.SetExtension(broker.ExtRedriveFunction, nil)
		if err := o.Context.SetExtension(ExtCausationID, in.id); err != nil {
			return permanentError{fmt.Errorf("output event %d: %s: %w", i, ExtCausationID, err)}
		}
		if err := o.Context.SetExtension(ExtCorrelationID, correlation); err != nil {
			return permanentError{fmt.Errorf("output event %d: %s: %w", i, ExtCorrelationID, err)}
		}
		if err := o.Validate(); err != nil {
			return permanentError{fmt.Errorf("output event %d is not a valid CloudEvent: %w", i, err)}
		}
	}
	return nil
}

// inputRef is what the outputs of a handler take from its input: read
// before the handler runs, since the handler owns the input event and may
// change it.
type inputRef struct {
	id, source, correlation string
}

// inputOf reads e's id, source and correlation id (its correlationid
// extension, else its id).
func inputOf(e *event.Event) inputRef {
	ref := inputRef{id: e.ID(), source: e.Source()}
	ref.correlation = ref.id
	if v, ok := extension(e, ExtCorrelationID); ok {
		if s, err := types.Format(v); err == nil && s != "" {
			ref.correlation = s
		}
	}
	return ref
}
