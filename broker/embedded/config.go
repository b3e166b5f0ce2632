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

// Config configures the embedded NATS server. Start fills every empty
// field with its default, then validates.
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
	// Auth, when set, is required of every client (Connect presents it).
	// A Host other than loopback requires it.
	Auth *Credentials
	// TLSCert and TLSKey are PEM files of the server's certificate and
	// key; with both set clients connect with TLS (in-process connections
	// need none).
	TLSCert, TLSKey string
}

// withDefaults returns c with every empty field set to its default.
func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = DefaultHost
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	return c
}

// Validate reports every field of c that breaks a rule (after defaults),
// joined with errors.Join; each error names the field.
func (c Config) Validate() error {
	c = c.withDefaults()
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
	errs = append(errs, c.checkSecurity()...)
	return errors.Join(errs...)
}
