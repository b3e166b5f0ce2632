package embedded

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/natsguard"
)

// Server is a NATS server with JetStream running inside this process.
type Server struct {
	srv  *server.Server
	log  *slog.Logger
	auth []nats.Option
	cred *Credentials
	once sync.Once
}

// Start starts a JetStream-enabled NATS server storing its data under
// cfg.DataDir and waits until it accepts connections. log receives the
// server's own log lines (nil discards them).
func Start(cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Host = cmp.Or(cfg.Host, DefaultHost)
	cfg.ReadyTimeout = cmp.Or(cfg.ReadyTimeout, DefaultReadyTimeout)
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	storeDir := filepath.Join(cfg.DataDir, "jetstream")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	opts := &server.Options{
		ServerName:             serverName(cfg),
		Host:                   cfg.Host,
		Port:                   port,
		JetStream:              true,
		StoreDir:               storeDir,
		SyncAlways:             cfg.SyncAlways,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
		MaxPayload:             8 << 20,
	}
	applyCluster(opts, cfg.Cluster)
	if cfg.MonitorAddr != "" {
		host, port, _ := splitAddr(cfg.MonitorAddr) // checked by Validate
		if port == 0 {
			port = server.RANDOM_PORT
		}
		opts.HTTPHost, opts.HTTPPort = host, port
	}
	if err := cfg.secure(opts); err != nil {
		return nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	srv.SetLoggerV2(newServerLogger(log), false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(cfg.ReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded server on %s: not ready after %s", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), cfg.ReadyTimeout)
	}
	s := &Server{srv: srv, log: log}
	if cfg.Auth != nil {
		c := *cfg.Auth
		s.auth, s.cred = c.Options(), &c
	}
	log.Info("embedded NATS server started", "url", s.ClientURL(), "store", storeDir, "sync_always", cfg.SyncAlways,
		"auth", cfg.Auth != nil, "tls", cfg.TLSCert != "", "monitor", s.MonitorURL(),
		"server", opts.ServerName, "cluster", cfg.Cluster.Name, "routes", len(opts.Routes))
	return s, nil
}

// MonitorURL is the base URL of the monitoring endpoint (for example
// "http://127.0.0.1:8222"), or "" when Config.MonitorAddr was empty.
func (s *Server) MonitorURL() string {
	addr := s.srv.MonitorAddr()
	if addr == nil {
		return ""
	}
	return "http://" + addr.String()
}

// ClientURL is the URL other processes (workers, the nats CLI) connect to:
// tls:// with TLS, and the loopback address when the server listens on
// every interface.
func (s *Server) ClientURL() string {
	u, err := url.Parse(s.srv.ClientURL())
	if err != nil {
		return s.srv.ClientURL()
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort("127.0.0.1", u.Port())
	}
	return u.String()
}

// reconnectWait is the pause between two reconnects of an in-process
// connection, as broker.ConnConfig's for TCP.
const reconnectWait = 250 * time.Millisecond

// dropped logs a protocol error the guard of an in-process connection
// turned into a reconnect.
func (s *Server) dropped(line string) {
	s.log.Warn("embedded server: in-process connection: the server refused what a client sent; reconnecting", "error", line)
}

// Credentials are the ones clients must present (Config.Auth); ok is
// false when the server takes any client.
func (s *Server) Credentials() (c Credentials, ok bool) {
	if s.cred == nil {
		return Credentials{}, false
	}
	return *s.cred, true
}

// Connect opens an in-process connection (no TCP) to the embedded server,
// authenticated with Config.Auth. It reconnects forever, also after a
// protocol error that nats.go alone would close it on (see
// internal/natsguard).
func (s *Server) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	base := []nats.Option{nats.Name(name), nats.InProcessServer(natsguard.InProcess(s.srv, s.dropped)),
		nats.MaxReconnects(-1), nats.ReconnectWait(reconnectWait)}
	opts = append(append(base, s.auth...), opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded server: in-process connection: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server, waiting for it to finish or ctx to end. It is
// safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		done := make(chan struct{})
		go func() {
			s.srv.Shutdown()
			s.srv.WaitForShutdown()
			close(done)
		}()
		select {
		case <-done:
			s.log.Info("embedded NATS server stopped")
		case <-ctx.Done():
			err = fmt.Errorf("embedded server shutdown: %w", ctx.Err())
		}
	})
	return err
}
