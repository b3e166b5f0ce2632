package broker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func TestStreamSpecValidate(t *testing.T) {
	ok := broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal spec: %v", err)
	}
	with := func(f func(*broker.StreamSpec)) broker.StreamSpec {
		s := ok
		s.Subjects = append([]string(nil), ok.Subjects...)
		f(&s)
		return s
	}
	tests := []struct {
		name string
		spec broker.StreamSpec
		want string // field and rule, as the error names them
	}{
		{name: "no name", spec: with(func(s *broker.StreamSpec) { s.Name = "" }), want: `Name: required`},
		{name: "dot in name", spec: with(func(s *broker.StreamSpec) { s.Name = "a.b" }), want: `Name: must not contain`},
		{name: "no subjects", spec: with(func(s *broker.StreamSpec) { s.Subjects = nil }), want: `Subjects: must list at least one subject`},
		{name: "bad subject", spec: with(func(s *broker.StreamSpec) { s.Subjects = append(s.Subjects, "a.>.b") }), want: `Subjects[1]: '>' must be the last token`},
		{name: "replicas", spec: with(func(s *broker.StreamSpec) { s.Replicas = 6 }), want: `Replicas: must be between 1 and 5`},
		{name: "negative replicas", spec: with(func(s *broker.StreamSpec) { s.Replicas = -1 }), want: `Replicas: must be between 1 and 5`},
		{name: "storage", spec: with(func(s *broker.StreamSpec) { s.Storage = "disk" }), want: `Storage: must be one of file, memory`},
		{name: "max bytes", spec: with(func(s *broker.StreamSpec) { s.MaxBytes = -1 }), want: `MaxBytes: must not be negative (0 means unlimited)`},
		{name: "max msgs", spec: with(func(s *broker.StreamSpec) { s.MaxMsgs = -1 }), want: `MaxMsgs: must not be negative (0 means unlimited)`},
		{name: "max age", spec: with(func(s *broker.StreamSpec) { s.MaxAge = -time.Hour }), want: `MaxAge: must not be negative`},
		{name: "window over max age", spec: with(func(s *broker.StreamSpec) { s.MaxAge, s.DuplicateWindow = time.Minute, 5*time.Minute }), want: `DuplicateWindow: must not be longer than maxAge (1m0s)`},
		{name: "negative window", spec: with(func(s *broker.StreamSpec) { s.DuplicateWindow = -time.Second }), want: `DuplicateWindow: must not be negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			var fe *broker.FieldError
			if !errors.Is(err, broker.ErrInvalid) || !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want a *FieldError containing %q", err, tt.want)
			}
		})
	}
}

// EnsureStreams checks every spec before it creates anything: an invalid
// one, two streams with one name, or overlapping subjects create nothing.
func TestEnsureStreamsRefusesBadSpecs(t *testing.T) {
	srv := brokertest.Server(t, "")
	c, err := broker.New(brokertest.Conn(t, srv), broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(brokertest.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	good := broker.StreamSpec{Name: "A", Subjects: []string{"a.>"}}
	tests := []struct {
		name  string
		specs []broker.StreamSpec
		want  string
	}{
		{name: "invalid", specs: []broker.StreamSpec{good, {Name: "B", Subjects: []string{"b.>"}, Replicas: 9}}, want: "Replicas"},
		{name: "same name", specs: []broker.StreamSpec{good, {Name: "A", Subjects: []string{"b.>"}}}, want: "declared twice"},
		{name: "overlap", specs: []broker.StreamSpec{good, {Name: "B", Subjects: []string{"a.x"}}}, want: `"a.x" overlaps "a.>" of stream "A"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.EnsureStreams(context.Background(), tt.specs...)
			if !errors.Is(err, broker.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("EnsureStreams = %v, want ErrInvalid containing %q", err, tt.want)
			}
			if _, err := js.Stream(context.Background(), "A"); !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("stream A: %v, want it not created", err)
			}
		})
	}
}

// Zero fields of a spec are the server's defaults: unlimited size, one
// replica, file storage, and a duplicate window of 2m or maxAge when that
// is shorter (the broker used to send 2m whatever maxAge was, which the
// server refuses for a stream kept less than 2m).
func TestEnsureStreamsZeroFieldsAreServerDefaults(t *testing.T) {
	srv := brokertest.Server(t, "")
	brokertest.Client(t, srv,
		broker.StreamSpec{Name: "SHORT", Subjects: []string{"events.short.>"}, MaxAge: 30 * time.Second},
		broker.StreamSpec{Name: "LONG", Subjects: []string{"events.long.>"}, Storage: broker.StorageMemory, MaxMsgs: 7})
	js, err := jetstream.New(brokertest.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stream  string
		window  time.Duration
		storage jetstream.StorageType
		msgs    int64
	}{
		{stream: "SHORT", window: 30 * time.Second, storage: jetstream.FileStorage, msgs: -1},
		{stream: "LONG", window: 2 * time.Minute, storage: jetstream.MemoryStorage, msgs: 7},
		{stream: broker.DefaultDeadLetterStream, window: 2 * time.Minute, storage: jetstream.FileStorage, msgs: -1},
	}
	for _, tt := range tests {
		s, err := js.Stream(context.Background(), tt.stream)
		if err != nil {
			t.Fatalf("stream %s: %v", tt.stream, err)
		}
		cfg := s.CachedInfo().Config
		if cfg.Duplicates != tt.window || cfg.Storage != tt.storage || cfg.MaxMsgs != tt.msgs || cfg.MaxBytes != -1 || cfg.Replicas != 1 {
			t.Errorf("%s: duplicates %s storage %s maxMsgs %d maxBytes %d replicas %d; want %s %s %d -1 1",
				tt.stream, cfg.Duplicates, cfg.Storage, cfg.MaxMsgs, cfg.MaxBytes, cfg.Replicas, tt.window, tt.storage, tt.msgs)
		}
	}
}
