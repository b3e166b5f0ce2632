package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ServerConfig configures the embedded NATS server.
type ServerConfig struct {
	// DataDir holds the JetStream file store (under DataDir/jetstream).
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

// Embedded is a NATS server with JetStream running inside this process.
type Embedded struct {
	srv  *server.Server
	log  *slog.Logger
	once sync.Once
}

// StartEmbedded starts a JetStream-enabled NATS server storing its data under
// cfg.DataDir and waits until it accepts connections.
func StartEmbedded(cfg ServerConfig, log *slog.Logger) (*Embedded, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("broker: embedded server: data dir is empty")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 10 * time.Second
	}
	storeDir := filepath.Join(cfg.DataDir, "jetstream")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return nil, fmt.Errorf("broker: embedded server: %w", err)
	}
	opts := &server.Options{
		ServerName:             "fnmesh",
		Host:                   cfg.Host,
		Port:                   port,
		JetStream:              true,
		StoreDir:               storeDir,
		SyncAlways:             cfg.SyncAlways,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
		MaxPayload:             8 << 20,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("broker: embedded server: %w", err)
	}
	srv.SetLoggerV2(newServerLogger(log), false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(cfg.ReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("broker: embedded server on %s: not ready after %s", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), cfg.ReadyTimeout)
	}
	log.Info("embedded NATS server started", "url", srv.ClientURL(), "store", storeDir, "sync_always", cfg.SyncAlways)
	return &Embedded{srv: srv, log: log}, nil
}

// ClientURL is the URL other processes (workers, the nats CLI) connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Connect opens an in-process connection (no TCP) to the embedded server.
func (e *Embedded) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name(name), nats.InProcessServer(e.srv), nats.MaxReconnects(-1)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("broker: in-process connection: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server, waiting for it to finish or ctx to end. It is
// safe to call more than once.
func (e *Embedded) Shutdown(ctx context.Context) error {
	var err error
	e.once.Do(func() {
		done := make(chan struct{})
		go func() {
			e.srv.Shutdown()
			e.srv.WaitForShutdown()
			close(done)
		}()
		select {
		case <-done:
			e.log.Info("embedded NATS server stopped")
		case <-ctx.Done():
			err = fmt.Errorf("broker: embedded server shutdown: %w", ctx.Err())
		}
	})
	return err
}

// serverLogger adapts slog to the nats-server logger interface.
type serverLogger struct{ log *slog.Logger }

func newServerLogger(l *slog.Logger) *serverLogger {
	return &serverLogger{log: l.With("component", "nats-server")}
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  {}
