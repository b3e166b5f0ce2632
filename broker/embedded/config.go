package embedded

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of Config.
const (
	// DefaultHost is the client listen address.
	DefaultHost = "127.0.0.1"
	// DefaultReadyTimeout bounds start-up.
	DefaultReadyTimeout = 10 * time.Second
)

// Config configures the embedded NATS server. Start validates it, then
// fills every empty field with its default.
type Config struct {
	// DataDir holds the JetStream file store (under DataDir/jetstream).
	// Required.
	DataDir string
	// Host is the client listen address. Default 127.0.0.1.
	Host string
	// Port is the client port; 0 picks a random free port.
	Port int
	// SyncAlways fsyncs every message before the PubAck (the durable choice).
	SyncAlways bool
	// ReadyTimeout bounds start-up. Default 10s.
	ReadyTimeout time.Duration
}

// Validate reports every field of c that breaks a rule, joined with
// errors.Join; each error names the field. An empty field other than
// DataDir is valid: it stands for its default.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("embedded server: DataDir: required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("embedded server: Port: must be between 0 (random) and 65535, got %d", c.Port))
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("embedded server: ReadyTimeout: must be positive, got %s", c.ReadyTimeout))
	}
	return errors.Join(errs...)
}
