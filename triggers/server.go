package triggers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults of ServerConfig. They bound what a slow or idle client can hold:
// a request must send its headers within DefaultReadHeaderTimeout and all of
// it within DefaultReadTimeout, so a body that trickles in is cut off (408)
// and its connection closed.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	// DefaultMaxHeaderBytes bounds the request headers. CloudEvents binary
	// mode carries attributes as headers, and JetStream stores at most
	// 64 KiB of headers per message.
	DefaultMaxHeaderBytes = 64 << 10
)

// ServerConfig configures the HTTP listener that serves the triggers.
type ServerConfig struct {
	// Addr is the TCP address to listen on, such as "127.0.0.1:8080"
	// (port 0 picks a free port); required.
	Addr string
	// ReadHeaderTimeout bounds reading the request headers. Default
	// DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included. Default
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request headers to
	// the end of the answer; a reply route extends it by its own reply
	// timeout. Default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request. Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request headers. Default
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// TLSCertFile and TLSKeyFile, both or neither, are the PEM files of the
	// certificate (with its chain) and key; with them the server speaks
	// HTTPS only (TLS 1.2 or later).
	TLSCertFile, TLSKeyFile string
}

// withDefaults returns c with every unset field at its default.
func (c ServerConfig) withDefaults() ServerConfig {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&c.ReadTimeout, DefaultReadTimeout)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.IdleTimeout, DefaultIdleTimeout)
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return c
}

// Validate reports the first setting of c (with defaults applied) that a
// server cannot run with. Errors wrap ErrConfig and name the field.
func (c ServerConfig) Validate() error {
	c = c.withDefaults()
	fail := func(field, rule string) error { return &ConfigError{Field: "http." + field, Rule: rule} }
	switch {
	case c.Addr == "":
		return fail("addr", "required")
	case c.ReadHeaderTimeout < 0, c.ReadTimeout < 0, c.WriteTimeout < 0, c.IdleTimeout < 0:
		return fail("timeouts", "must not be negative")
	case c.ReadHeaderTimeout > c.ReadTimeout:
		return fail("readHeaderTimeout", fmt.Sprintf("must not be longer than the read timeout (%s), got %s", c.ReadTimeout, c.ReadHeaderTimeout))
	case c.MaxHeaderBytes < 0:
		return fail("maxHeaderBytes", "must not be negative")
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return fail("tls", "set both the certificate and the key file, or neither")
	}
	return nil
}

// Server is the HTTP (or HTTPS) listener of the triggers. Build it with
// NewServer, run Serve in a goroutine and stop it with Shutdown.
type Server struct {
	srv *http.Server
	ln  net.Listener
	url string
}

// NewServer validates cfg, loads the TLS certificate when one is set (so a
// bad one is an error at start, not at the first request) and listens on
// cfg.Addr; Serve then serves h. Options: WithLogger (the server's own
// errors, such as failed TLS handshakes).
func NewServer(cfg ServerConfig, h http.Handler, opts ...Option) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, &ConfigError{Field: "http", Rule: "a handler is required"}
	}
	d := applyOptions(opts)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("http: tls certificate %s and key %s: %w", cfg.TLSCertFile, cfg.TLSKeyFile, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen %s: %w", cfg.Addr, err)
	}
	if srv.TLSConfig != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	return &Server{srv: srv, ln: ln, url: scheme + "://" + ln.Addr().String()}, nil
}

// URL is where the server listens: "http://host:port" or "https://...".
func (s *Server) URL() string { return s.url }

// Serve serves until Shutdown, then returns nil.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// Shutdown stops accepting connections and waits, bounded by ctx, for the
// requests in progress to finish. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Close closes the listener and every connection at once, whether or not
// Serve was called; Shutdown is the graceful stop.
func (s *Server) Close() error {
	err := s.srv.Close()
	if cerr := s.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
		err = cerr
	}
	return err
}
