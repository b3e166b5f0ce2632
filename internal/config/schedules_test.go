package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStreamSchedules(t *testing.T) {
	m, err := Parse("m.yaml", []byte(minimal+"streams:\n  - name: EVENTS\n    subjects: [\"events.>\"]\n    schedules: true\n    maxDelay: 48h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Streams[0]; !s.Schedules || s.MaxDelay.D() != 48*time.Hour {
		t.Fatalf("stream %+v", s)
	}
	for _, tt := range []struct {
		name, yaml, path, rule string
		line, column           int
	}{
		{"limits default to discard new", "    schedules: true\n    maxMsgs: 10\n", "streams[0].schedules", "needs discard: old", 6, 16},
		{"discard new", "    schedules: true\n    discard: new\n", "streams[0].schedules", "needs discard: old", 6, 16},
		{"maxDelay over maxAge", "    schedules: true\n    maxAge: 1h\n    maxDelay: 2h\n", "streams[0].maxDelay", "must not be longer than maxAge", 8, 15},
		{"maxDelay without schedules", "    maxDelay: 2h\n", "streams[0].maxDelay", "needs schedules: true", 6, 15},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(minimal+"streams:\n  - name: EVENTS\n    subjects: [\"events.>\"]\n"+tt.yaml))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if fe.Path != tt.path || fe.Line != tt.line || fe.Column != tt.column || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("got %s:%d:%d %q (%v), want %d:%d %q %q", fe.File, fe.Line, fe.Column, fe.Path, err, tt.line, tt.column, tt.path, tt.rule)
			}
		})
	}
}
