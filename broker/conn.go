package broker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/natsguard"
)

// ConnConfig says how to reach an external NATS server or cluster. The
// environment names follow the nats CLI (NATS_URL, NATS_USER, ...).
type ConnConfig struct {
	// URL is a comma-separated list of server URLs.
	URL string `envconfig:"NATS_URL"`
	// User and Password authenticate with a user/password pair.
	User     string `envconfig:"NATS_USER"`
	Password string `envconfig:"NATS_PASSWORD"`
	// Token authenticates with a token.
	Token string `envconfig:"NATS_TOKEN"`
	// Creds is a path to a credentials (JWT + nkey) file.
	Creds string `envconfig:"NATS_CREDS"`
	// NKey is a path to an nkey seed file.
	NKey string `envconfig:"NATS_NKEY"`
	// CA, Cert and Key configure TLS: a CA bundle to trust and a client certificate.
	CA   string `envconfig:"NATS_CA"`
	Cert string `envconfig:"NATS_CERT"`
	Key  string `envconfig:"NATS_KEY"`
	// TLSFirst performs the TLS handshake before the NATS protocol greeting.
	TLSFirst bool `envconfig:"NATS_TLS_FIRST"`
}

// Options turns the configuration into nats.go options: reconnecting
// forever (also when the first connect fails), and, without TLS, through
// a guard that turns the protocol errors after which nats.go would close
// the connection for good into a reconnect (see internal/natsguard).
func (c ConnConfig) Options(name string) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
	}
	if c.User != "" || c.Password != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKey)
		if err != nil {
			return nil, fmt.Errorf("broker: NATS_NKEY %s: %w", c.NKey, err)
		}
		opts = append(opts, o)
	}
	if c.CA != "" {
		opts = append(opts, nats.RootCAs(c.CA))
	}
	if c.Cert != "" || c.Key != "" {
		if c.Cert == "" || c.Key == "" {
			return nil, fmt.Errorf("broker: NATS_CERT and NATS_KEY must be set together")
		}
		opts = append(opts, nats.ClientCert(c.Cert, c.Key))
	}
	if c.TLSFirst {
		opts = append(opts, nats.TLSHandshakeFirst())
	}
	if plainNATS(c) {
		// Plain NATS: a protocol error the server answers (and nats.go
		// would close the connection on for good) becomes a reconnect.
		opts = append(opts, nats.SetCustomDialer(natsguard.Dialer{}))
	}
	return opts, nil
}

// plainNATS reports whether c connects without TLS or websockets, as far
// as the client decides (a server asking for TLS is seen by the guard).
func plainNATS(c ConnConfig) bool {
	u := strings.ToLower(c.URL)
	return c.CA == "" && c.Cert == "" && !c.TLSFirst &&
		!strings.Contains(u, "tls://") && !strings.Contains(u, "ws://") && !strings.Contains(u, "wss://")
}

// Connect dials the configured servers. With RetryOnFailedConnect the
// connection keeps trying in the background; Connect waits until it is
// connected or ctx ends.
func Connect(ctx context.Context, c ConnConfig, name string, extra ...nats.Option) (*nats.Conn, error) {
	if c.URL == "" {
		c.URL = nats.DefaultURL
	}
	opts, err := c.Options(name)
	if err != nil {
		return nil, err
	}
	connected := make(chan struct{}, 1)
	opts = append(opts, nats.ConnectHandler(func(*nats.Conn) {
		select {
		case connected <- struct{}{}:
		default:
		}
	}))
	opts = append(opts, extra...)
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("broker: connect %s: %w", c.URL, err)
	}
	if nc.IsConnected() {
		return nc, nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	select {
	case <-connected:
		return nc, nil
	case <-ctx.Done():
		nc.Close()
		return nil, fmt.Errorf("broker: connect %s: %w: %w", c.URL, ErrUnavailable, ctx.Err())
	}
}
