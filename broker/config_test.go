package broker_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func TestNewAppliesDefaultsThenValidates(t *testing.T) {
	srv := brokertest.Server(t, "")
	c, err := broker.New(brokertest.Conn(t, srv), broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SubjectPrefix(); got != broker.DefaultSubjectPrefix {
		t.Errorf("SubjectPrefix() = %q, want %q", got, broker.DefaultSubjectPrefix)
	}
	tests := []struct {
		name  string
		cfg   broker.Config
		field string
	}{
		{name: "wildcard prefix", cfg: broker.Config{SubjectPrefix: "events.>"}, field: "SubjectPrefix"},
		{name: "empty token", cfg: broker.Config{SubjectPrefix: "a..b"}, field: "SubjectPrefix"},
		{name: "negative timeout", cfg: broker.Config{Timeout: -time.Second}, field: "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := broker.New(brokertest.Conn(t, srv), tt.cfg)
			var fe *broker.FieldError
			if !errors.Is(err, broker.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("New(%+v) = %v, want a *FieldError for %s wrapping ErrInvalid", tt.cfg, err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "broker: "+tt.field+": ") {
				t.Errorf("error %q does not start with the field", err)
			}
		})
	}
	if _, err := broker.New(nil, broker.Config{}); err == nil {
		t.Error("New(nil connection) succeeded")
	}
}
