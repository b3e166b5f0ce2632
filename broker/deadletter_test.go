package broker_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/poll"
)

func listDeadLetters(t *testing.T, q *broker.DeadLetterQueue, fn string, since time.Time) []broker.DeadLetter {
	t.Helper()
	var out []broker.DeadLetter
	if err := q.List(context.Background(), fn, since, func(d broker.DeadLetter) bool {
		out = append(out, d)
		return true
	}); err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	return out
}

func TestDeadLettersPublishListRedrive(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	q := brokertest.DeadLetterQueue(t, c)
	ctx := context.Background()

	orig := newEvent("o-1")
	orig.SetExtension("tenant", "acme")
	// The original is in its stream: a redrive inside the duplicate window
	// must not be taken for it.
	if _, err := c.Publish(ctx, orig); err != nil {
		t.Fatal(err)
	}
	info := broker.DeadLetterInfo{Function: "billing", Attempts: 4, Reason: "upstream said no", Subject: "events.com.example.thing.happened"}
	ack, err := q.DeadLetterEvent(ctx, orig, info, "dl-billing-1")
	if err != nil || ack.Stream != "DEADLETTER" {
		t.Fatalf("DeadLetterEvent = %+v, %v", ack, err)
	}
	if _, ok := orig.Extensions()[broker.ExtDeadLetterReason]; ok {
		t.Error("DeadLetterEvent modified the event")
	}
	// The same delivery dead-lettered again (a lost Term) is stored once.
	if ack, err := q.DeadLetterEvent(ctx, orig, info, "dl-billing-1"); err != nil || !ack.Duplicate {
		t.Errorf("second DeadLetterEvent = %+v, %v; want a duplicate", ack, err)
	}
	// Every dead letter so far was stamped by the server at or before last;
	// cut comes strictly after it, and the next one is stamped at or after cut.
	last := time.Now()
	poll.Until(t, time.Second, "the clock to move past the last dead letter", func() bool { return time.Now().After(last) })
	cut := time.Now()
	if _, err := q.DeadLetterEvent(ctx, newEvent("o-2"), broker.DeadLetterInfo{Function: "shipping", Attempts: 1, Reason: "permanent"}, "dl-shipping-1"); err != nil {
		t.Fatal(err)
	}
	raw := nats.Header{"ce-specversion": {"0.1"}, "Nats-Msg-Id": {"orig"}, "X-App": {"kept"}}
	if _, err := q.DeadLetter(ctx, raw, []byte("???"), broker.DeadLetterInfo{Function: "billing", Attempts: 1, Reason: "bad % header"}, "dl-billing-2"); err != nil {
		t.Fatal(err)
	}

	all := listDeadLetters(t, q, "", time.Time{})
	if len(all) != 3 {
		t.Fatalf("%d dead letters, want 3", len(all))
	}
	d := all[0]
	if d.Function != "billing" || d.Attempts != 4 || d.Reason != "upstream said no" || d.Subject != info.Subject ||
		time.Since(d.Time) > time.Minute || d.Event == nil || d.Err != nil || d.Seq == 0 {
		t.Errorf("dead letter = %+v", d)
	}
	if d.Event.ID() != "o-1" || string(d.Event.Data()) != string(orig.Data()) || d.Event.Extensions()["tenant"] != "acme" {
		t.Errorf("dead letter event = %s", d.Event)
	}
	r := all[2]
	if r.Event != nil || !errors.Is(r.Err, broker.ErrMalformedEvent) || r.Function != "billing" || r.Reason != "bad % header" || r.Attempts != 1 {
		t.Errorf("raw dead letter = %+v", r)
	}

	if got := listDeadLetters(t, q, "billing", time.Time{}); len(got) != 2 {
		t.Errorf("billing: %d dead letters, want 2", len(got))
	}
	if got := listDeadLetters(t, q, "", cut); len(got) != 2 || got[0].Function != "shipping" {
		t.Errorf("since: %+v", got)
	}
	var seen int
	_ = q.List(ctx, "", time.Time{}, func(broker.DeadLetter) bool { seen++; return false })
	if seen != 1 {
		t.Errorf("visit returning false: visited %d", seen)
	}

	n, err := q.Redrive(ctx, "billing", time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1 (the raw one stays)", n, err)
	}
	left := listDeadLetters(t, q, "", time.Time{})
	if len(left) != 2 || left[0].Function != "shipping" || left[1].Event != nil {
		t.Errorf("left after redrive: %+v", left)
	}
	var back []*event.Event
	for _, se := range readAll(t, c, "EVENTS") {
		back = append(back, se.Event)
		if se.Subject != info.Subject {
			t.Errorf("stored on %q, want %q", se.Subject, info.Subject)
		}
	}
	if len(back) != 2 {
		t.Fatalf("%d events in EVENTS, want the original and the redriven one", len(back))
	}
	ext := back[1].Extensions()
	if ext[broker.ExtRedriveFunction] != "billing" || ext["tenant"] != "acme" || back[1].ID() != "o-1" {
		t.Errorf("redriven event = %s", back[1])
	}
	for _, name := range []string{broker.ExtDeadLetterFunction, broker.ExtDeadLetterAttempts, broker.ExtDeadLetterReason, broker.ExtDeadLetterTime, broker.ExtDeadLetterSubject} {
		if _, ok := ext[name]; ok {
			t.Errorf("redriven event keeps %s", name)
		}
	}
}

func TestDeadLettersEmptyAndMissing(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	q := brokertest.DeadLetterQueue(t, c)
	if got := listDeadLetters(t, q, "", time.Time{}); len(got) != 0 {
		t.Errorf("%d dead letters in an empty stream", len(got))
	}
	if n, err := q.Redrive(context.Background(), "", time.Time{}); n != 0 || err != nil {
		t.Errorf("Redrive of nothing = %d, %v", n, err)
	}
	other, err := broker.NewDeadLetterQueue(c, broker.DeadLetterConfig{Stream: "NOPE"})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.List(context.Background(), "", time.Time{}, func(broker.DeadLetter) bool { return true }); err == nil {
		t.Error("List of a missing stream succeeded")
	}
}

func TestTruncateReason(t *testing.T) {
	long := strings.Repeat("é", broker.MaxDeadLetterReason) // 2 bytes each
	tests := []struct {
		name, in string
		wantLen  int
		suffix   string
	}{
		{"short", "boom", 4, "boom"},
		{"exact", strings.Repeat("a", broker.MaxDeadLetterReason), broker.MaxDeadLetterReason, "a"},
		{"ascii over", strings.Repeat("a", broker.MaxDeadLetterReason+1), broker.MaxDeadLetterReason, "a..."},
		{"multibyte boundary", long, broker.MaxDeadLetterReason - 1, "é..."},
		{"invalid utf8", "a\xffb", len("a\uFFFDb"), "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := broker.TruncateReason(tt.in)
			if len(got) != tt.wantLen || !strings.HasSuffix(got, tt.suffix) || !utf8.ValidString(got) {
				t.Errorf("TruncateReason = %d bytes ending %q, want %d ending %q", len(got), got[max(0, len(got)-8):], tt.wantLen, tt.suffix)
			}
		})
	}
}

func TestDeadLetterSubject(t *testing.T) {
	c := brokertest.Client(t, brokertest.Server(t, ""))
	q := brokertest.DeadLetterQueue(t, c)
	got := []string{q.Subject("f"), q.Subject(""), q.Stream()}
	dl, err := broker.NewDeadLetterQueue(c, broker.DeadLetterConfig{Stream: "DL", SubjectPrefix: "dl.x"})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, dl.Subject("a b"), dl.Stream())
	want := []string{"deadletter.f", "deadletter.>", "DEADLETTER", "dl.x.a%20b", "DL"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
