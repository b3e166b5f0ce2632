package cebind

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// codecServer starts a real embedded NATS server with JetStream on a random
// port and returns a client connection; both end with the test.
func codecServer(t *testing.T) *nats.Conn {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	go s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// TestCodecOverTheWire publishes every round-trip event through a real
// server and decodes what the subscriber receives: headers, escapes and
// payload survive the NATS protocol, not only the in-memory map.
func TestCodecOverTheWire(t *testing.T) {
	nc := codecServer(t)
	sub, err := nc.SubscribeSync("events.>")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range codecEvents(t) {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.event
			msg, err := EncodeMsg(Subject("events", e.Type()), &e)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			if err := nc.PublishMsg(msg); err != nil {
				t.Fatalf("publish: %v", err)
			}
			in, err := sub.NextMsg(5 * time.Second)
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			got, err := DecodeMsg(in.Header, in.Data)
			if err != nil {
				t.Fatalf("DecodeMsg of the received message: %v\nheaders: %v", err, in.Header)
			}
			codecAssertSameEvent(t, got, &e)
			if typ, err := TypeFromSubject("events", in.Subject); err != nil || typ != e.Type() {
				t.Fatalf("TypeFromSubject(%q) = %q, %v; want %q", in.Subject, typ, err, e.Type())
			}
		})
	}
}

// TestSubjectWildcards shows that escaped types stay inside the subject
// space of their dotted prefix and that wildcard characters in a type are
// literal, never wildcards.
func TestSubjectWildcards(t *testing.T) {
	nc := codecServer(t)
	family, err := nc.SubscribeSync("events.com.example.>")
	if err != nil {
		t.Fatal(err)
	}
	oneToken, err := nc.SubscribeSync("events.com.example.*")
	if err != nil {
		t.Fatal(err)
	}
	types := []string{"com.example.order created", "com.example.*", "com.example.>", "com.example.a.b", "org.other.x", "com.example"}
	for _, typ := range types {
		e := codecNewEvent(t, "1", "/s", typ)
		msg, err := EncodeMsg(Subject("events", typ), &e)
		if err != nil {
			t.Fatalf("EncodeMsg(%q): %v", typ, err)
		}
		if err := nc.PublishMsg(msg); err != nil {
			t.Fatalf("publish %q: %v", typ, err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	received := func(sub *nats.Subscription) []string {
		var got []string
		for {
			m, err := sub.NextMsg(200 * time.Millisecond)
			if err != nil {
				return got
			}
			typ, err := TypeFromSubject("events", m.Subject)
			if err != nil {
				t.Fatalf("TypeFromSubject(%q): %v", m.Subject, err)
			}
			got = append(got, typ)
		}
	}
	wantFamily := []string{"com.example.order created", "com.example.*", "com.example.>", "com.example.a.b"}
	if got := received(family); !codecEqualStrings(got, wantFamily) {
		t.Errorf("events.com.example.> received %q, want %q", got, wantFamily)
	}
	wantOne := []string{"com.example.order created", "com.example.*", "com.example.>"}
	if got := received(oneToken); !codecEqualStrings(got, wantOne) {
		t.Errorf("events.com.example.* received %q, want %q", got, wantOne)
	}
}

// codecEqualStrings reports whether a and b hold the same strings in order.
func codecEqualStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDedupIDInJetStream stores events through JetStream with the headers
// EncodeMsg writes: the same (source, id) is stored once, a different
// source with the same id is another event, and the stored message decodes
// to the original.
func TestDedupIDInJetStream(t *testing.T) {
	nc := codecServer(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, Duplicates: time.Minute})
	if err != nil {
		t.Fatalf("create stream: %v", err)
	}
	tests := []struct {
		name          string
		source, id    string
		wantDuplicate bool
	}{
		{name: "first", source: "/a", id: "1"},
		{name: "same source and id again", source: "/a", id: "1", wantDuplicate: true},
		{name: "same id from another source", source: "/b", id: "1"},
	}
	var firstSeq uint64
	for _, tt := range tests {
		e := codecNewEvent(t, tt.id, tt.source, "com.example.t")
		msg, err := EncodeMsg(Subject("events", e.Type()), &e)
		if err != nil {
			t.Fatalf("%s: EncodeMsg: %v", tt.name, err)
		}
		ack, err := js.PublishMsg(ctx, msg)
		if err != nil {
			t.Fatalf("%s: publish: %v", tt.name, err)
		}
		if ack.Duplicate != tt.wantDuplicate {
			t.Fatalf("%s: PubAck duplicate = %v, want %v", tt.name, ack.Duplicate, tt.wantDuplicate)
		}
		if firstSeq == 0 {
			firstSeq = ack.Sequence
		}
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want 2", info.State.Msgs)
	}
	stored, err := stream.GetMsg(ctx, firstSeq)
	if err != nil {
		t.Fatalf("get stored message: %v", err)
	}
	got, err := DecodeMsg(stored.Header, stored.Data)
	if err != nil {
		t.Fatalf("DecodeMsg of the stored message: %v", err)
	}
	want := codecNewEvent(t, "1", "/a", "com.example.t")
	codecAssertSameEvent(t, got, &want)
}
