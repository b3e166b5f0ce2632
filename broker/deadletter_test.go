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
	"github.com/fnmesh/fnmesh/internal/config"
)

func listDeadLetters(t *testing.T, c *broker.Client, m *config.Mesh, fn string, since time.Time) []broker.DeadLetter {
	t.Helper()
	var out []broker.DeadLetter
	if err := c.DeadLetters(context.Background(), m, fn, since, func(d broker.DeadLetter) bool {
		out = append(out, d)
		return true
	}); err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	return out
}

func TestDeadLettersPublishListRedrive(t *testing.T) {
	srv := brokertest.Server(t, "")
	m := brokertest.Mesh()
	c := brokertest.Client(t, srv, m)
	ctx := context.Background()

	orig := newEvent("o-1")
	orig.SetExtension("tenant", "acme")
	// The original is in its stream: a redrive inside the duplicate window
	// must not be taken for it.
	if _, err := c.Publish(ctx, orig); err != nil {
		t.Fatal(err)
	}
	info := broker.DeadLetterInfo{Function: "billing", Attempts: 4, Reason: "upstream said no", Subject: "events.com.example.thing.happened"}
	ack, err := c.PublishDeadLetter(ctx, m, orig, info, "dl-billing-1")
	if err != nil || ack.Stream != "DEADLETTER" {
		t.Fatalf("PublishDeadLetter = %+v, %v", ack, err)
	}
	if _, ok := orig.Extensions()[broker.ExtDeadLetterReason]; ok {
		t.Error("PublishDeadLetter modified the event")
	}
	// The same delivery dead-lettered again (a lost Term) is stored once.
	if ack, err := c.PublishDeadLetter(ctx, m, orig, info, "dl-billing-1"); err != nil || !ack.Duplicate {
		t.Errorf("second PublishDeadLetter = %+v, %v; want a duplicate", ack, err)
	}
	cut := time.Now()
	time.Sleep(20 * time.Millisecond)
	if _, err := c.PublishDeadLetter(ctx, m, newEvent("o-2"), broker.DeadLetterInfo{Function: "shipping", Attempts: 1, Reason: "permanent"}, "dl-shipping-1"); err != nil {
		t.Fatal(err)
	}
	raw := nats.Header{"ce-specversion": {"0.1"}, "Nats-Msg-Id": {"orig"}, "X-App": {"kept"}}
	if _, err := c.PublishDeadLetterRaw(ctx, m, raw, []byte("???"), broker.DeadLetterInfo{Function: "billing", Attempts: 1, Reason: "bad % header"}, "dl-billing-2"); err != nil {
		t.Fatal(err)
	}

	all := listDeadLetters(t, c, m, "", time.Time{})
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

	if got := listDeadLetters(t, c, m, "billing", time.Time{}); len(got) != 2 {
		t.Errorf("billing: %d dead letters, want 2", len(got))
	}
	if got := listDeadLetters(t, c, m, "", cut); len(got) != 2 || got[0].Function != "shipping" {
		t.Errorf("since: %+v", got)
	}
	var seen int
	_ = c.DeadLetters(ctx, m, "", time.Time{}, func(broker.DeadLetter) bool { seen++; return false })
	if seen != 1 {
		t.Errorf("visit returning false: visited %d", seen)
	}

	n, err := c.Redrive(ctx, m, "billing", time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1 (the raw one stays)", n, err)
	}
	left := listDeadLetters(t, c, m, "", time.Time{})
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
	m := brokertest.Mesh()
	c := brokertest.Client(t, srv, m)
	if got := listDeadLetters(t, c, m, "", time.Time{}); len(got) != 0 {
		t.Errorf("%d dead letters in an empty stream", len(got))
	}
	if n, err := c.Redrive(context.Background(), m, "", time.Time{}); n != 0 || err != nil {
		t.Errorf("Redrive of nothing = %d, %v", n, err)
	}
	other := *m
	other.DeadLetter.Stream = "NOPE"
	if err := c.DeadLetters(context.Background(), &other, "", time.Time{}, func(broker.DeadLetter) bool { return true }); err == nil {
		t.Error("DeadLetters of a missing stream succeeded")
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
	m := &config.Mesh{}
	got := []string{broker.DeadLetterSubject(m, "f"), broker.DeadLetterSubject(m, ""), broker.DeadLetterStreamName(m)}
	m.DeadLetter = config.DeadLetterStream{Stream: "DL", SubjectPrefix: "dl.x"}
	got = append(got, broker.DeadLetterSubject(m, "a b"), broker.DeadLetterStreamName(m))
	want := []string{"deadletter.f", "deadletter.>", "DEADLETTER", "dl.x.a%20b", "DL"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
