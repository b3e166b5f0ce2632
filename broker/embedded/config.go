package embedded

import (
	"errors"
	"fmt"
	"net"
	"strconv"
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
	// MonitorAddr is the host:port of the server's HTTP monitoring endpoint
	// (/varz, /jsz, ...: what KEDA's nats-jetstream scaler and the
	// Prometheus NATS exporter read); port 0 picks a free port. Empty, the
	// default, serves none.
	MonitorAddr string
	// Auth, when set, is required of every client (Connect presents it).
	// A Host other than loopback requires it.
	Auth *Credentials
	// TLSCert and TLSKey are PEM files of the server's certificate and
	// key; with both set clients connect with TLS (in-process connections
	// need none).
	TLSCert, TLSKey string
	// ServerName names the server; the nodes of a cluster need distinct
	// names. Default DefaultServerName, or the host name on a cluster node.
	ServerName string
	// Cluster makes the server a node of a NATS cluster (see
	// ClusterConfig); the zero value runs a single server.
	Cluster ClusterConfig
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
	if c.MonitorAddr != "" {
		if _, _, err := splitAddr(c.MonitorAddr); err != nil {
			errs = append(errs, fmt.Errorf("embedded server: MonitorAddr %q: %w", c.MonitorAddr, err))
		}
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("embedded server: ReadyTimeout: must be positive, got %s", c.ReadyTimeout))
	}
	errs = append(errs, c.checkSecurity()...)
	errs = append(errs, c.clusterErrors()...)
	return errors.Join(errs...)
}

// splitAddr splits a host:port listen address; port 0 is allowed.
func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New("must be host:port")
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("port must be a number between 0 (random) and 65535")
	}
	return host, port, nil
}
