package broker_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// DeadLetter takes the message as it was stored: one that decodes as a
// CloudEvent is stored as that event with the deadletter* extensions, and
// the caller's headers are left as they were.
func TestDeadLetterStoresADecodableMessageAsItsEvent(t *testing.T) {
	c := brokertest.Client(t, brokertest.Server(t, ""))
	q := brokertest.DeadLetterQueue(t, c)
	orig := newEvent("o-9")
	msg, err := broker.EncodeMsg("events.com.example.thing.happened", orig)
	if err != nil {
		t.Fatal(err)
	}
	msg.Header.Set("Nats-Msg-Id", "the-original-id")
	before := maps.Clone(msg.Header)
	info := broker.DeadLetterInfo{Function: "billing", Attempts: 2, Reason: "no", Subject: msg.Subject}
	ack, err := q.DeadLetter(context.Background(), msg.Header, msg.Data, info, "dl-billing-9")
	if err != nil || ack.Stream != broker.DefaultDeadLetterStream || ack.Duplicate {
		t.Fatalf("DeadLetter = %+v, %v", ack, err)
	}
	if len(msg.Header) != len(before) || msg.Header.Get("Nats-Msg-Id") != "the-original-id" {
		t.Errorf("DeadLetter modified the headers: %v", msg.Header)
	}
	// The dead letter's own id de-duplicates, not the original's.
	if ack, err := q.DeadLetter(context.Background(), msg.Header, msg.Data, info, "dl-billing-9"); err != nil || !ack.Duplicate {
		t.Errorf("second DeadLetter = %+v, %v; want a duplicate", ack, err)
	}
	got := listDeadLetters(t, q, "billing", time.Time{})
	if len(got) != 1 || got[0].Event == nil || got[0].Err != nil {
		t.Fatalf("dead letters = %+v, want one holding the event", got)
	}
	d := got[0]
	if d.Event.ID() != "o-9" || d.Attempts != 2 || d.Reason != "no" || d.Subject != msg.Subject || d.Event.Extensions()[broker.ExtDeadLetterFunction] != "billing" {
		t.Errorf("dead letter = %+v, event %s", d, d.Event)
	}
}

func TestNewDeadLetterQueueValidates(t *testing.T) {
	c := brokertest.Client(t, brokertest.Server(t, ""))
	tests := []struct {
		name string
		cfg  broker.DeadLetterConfig
		want string
	}{
		{name: "wildcard prefix", cfg: broker.DeadLetterConfig{SubjectPrefix: "dl.>"}, want: "dead letters: SubjectPrefix: must not contain wildcards"},
		{name: "bad stream name", cfg: broker.DeadLetterConfig{Stream: "dead letters"}, want: `stream "dead letters": Name`},
		{name: "replicas", cfg: broker.DeadLetterConfig{Replicas: 7}, want: "Replicas: must be between 1 and 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := broker.NewDeadLetterQueue(c, tt.cfg)
			if !errors.Is(err, broker.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewDeadLetterQueue(%+v) = %v, want ErrInvalid containing %q", tt.cfg, err, tt.want)
			}
		})
	}
	if _, err := broker.NewDeadLetterQueue(nil, broker.DeadLetterConfig{}); err == nil {
		t.Error("NewDeadLetterQueue(nil client) succeeded")
	}
	spec := broker.DeadLetterConfig{SubjectPrefix: "dl"}.StreamSpec()
	if spec.Name != broker.DefaultDeadLetterStream || len(spec.Subjects) != 1 || spec.Subjects[0] != "dl.>" {
		t.Errorf("StreamSpec() = %+v", spec)
	}
}

// A dead letter keeps the traceparent it was stored with, and the event
// Redrive sends carries it as replaytraceparent, so the new delivery can
// link to the trace of the failed attempts.
func TestRedriveEventCarriesTheDeadLettersTrace(t *testing.T) {
	c := brokertest.Client(t, brokertest.Server(t, ""))
	q := brokertest.DeadLetterQueue(t, c)
	msg, err := broker.EncodeMsg("events.com.example.thing.happened", newEvent("t-1"))
	if err != nil {
		t.Fatal(err)
	}
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	msg.Header.Set("traceparent", tp)
	if _, err := q.DeadLetter(context.Background(), msg.Header, msg.Data, broker.DeadLetterInfo{Function: "billing", Attempts: 1, Reason: "no"}, "dl-t-1"); err != nil {
		t.Fatal(err)
	}
	got := listDeadLetters(t, q, "billing", time.Time{})
	if len(got) != 1 || got[0].TraceParent != tp {
		t.Fatalf("dead letters = %+v, want one with traceparent %s", got, tp)
	}
	e := broker.RedriveEvent(got[0])
	if v := e.Extensions()[broker.ExtReplayTraceParent]; v != tp {
		t.Errorf("redriven event's %s = %v, want %s", broker.ExtReplayTraceParent, v, tp)
	}
	if _, ok := e.Extensions()[broker.ExtDeadLetterReason]; ok {
		t.Error("the redriven event keeps deadletterreason")
	}
	// Not traced: no extension.
	got[0].TraceParent = ""
	if _, ok := broker.RedriveEvent(got[0]).Extensions()[broker.ExtReplayTraceParent]; ok {
		t.Error("an untraced dead letter's redrive carries replaytraceparent")
	}
}
