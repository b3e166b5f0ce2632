package triggers

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// countPublisher counts publishes and stores nothing.
type countPublisher struct{ n atomic.Int64 }

func (p *countPublisher) Publish(context.Context, *event.Event) (broker.Ack, error) {
	p.n.Add(1)
	return broker.Ack{Stream: "EVENTS", Sequence: uint64(p.n.Load())}, nil
}

// startServer runs NewServer(cfg, h) on a free loopback port until the test
// ends.
func startServer(t *testing.T, cfg ServerConfig, h http.Handler) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := NewServer(cfg, h)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// readingBodies counts the requests whose handler has started to read the
// body.
type readingBodies struct {
	h       http.Handler
	reading atomic.Int64
}

func (rb *readingBodies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = &firstRead{ReadCloser: r.Body, seen: &rb.reading}
	rb.h.ServeHTTP(w, r)
}

type firstRead struct {
	io.ReadCloser
	seen *atomic.Int64
	once sync.Once
}

func (f *firstRead) Read(p []byte) (int, error) {
	f.once.Do(func() { f.seen.Add(1) })
	return f.ReadCloser.Read(p)
}

// slowRequest opens a connection and sends the headers of a binary-mode
// event declaring contentLength bytes of body, and then the first byte.
func slowRequest(t *testing.T, addr, path string, contentLength int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nCe-Specversion: 1.0\r\nCe-Id: slow\r\nCe-Source: /test\r\n"+
		"Ce-Type: com.example.slow\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\nx", path, contentLength)
	return conn
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestServerMemoryUnderSlowClients holds 200 connections that each declare
// a 1 MiB body and send one byte of it. The live heap may grow by at most
// slowClientHeapBound for all of them (it grew by 200 MiB when ingest
// reserved the declared length before reading).
func TestServerMemoryUnderSlowClients(t *testing.T) {
	const (
		clients             = 200
		declared            = 1 << 20
		slowClientHeapBound = 16 << 20 // 80 KiB per slow connection
	)
	pub := &countPublisher{}
	rb := &readingBodies{h: mustIngest(t, IngestConfig{MaxBodyBytes: declared}, pub)}
	s := startServer(t, ServerConfig{}, rb)
	addr := strings.TrimPrefix(s.URL(), "http://")
	before := heapInUse()
	for range clients {
		slowRequest(t, addr, "/events", declared)
	}
	poll.Until(t, 30*time.Second, fmt.Sprintf("%d handlers reading their body", clients), func() bool {
		return rb.reading.Load() == clients
	})
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("live heap %d -> %d bytes: %+d for %d slow connections declaring %d bytes each (%d per connection)",
		before, after, growth, clients, declared, growth/clients)
	if growth > slowClientHeapBound {
		t.Errorf("live heap grew by %d bytes for %d slow connections, more than the bound of %d", growth, clients, slowClientHeapBound)
	}
	if n := pub.n.Load(); n != 0 {
		t.Errorf("%d events published before any body was complete", n)
	}
}

// TestServerCutsOffATooSlowBody sends a 20-byte body one byte every 100 ms
// to servers whose read timeout is 500 ms: the request is answered 408 and
// nothing is published, at ingest, on a route and on a webhook.
func TestServerCutsOffATooSlowBody(t *testing.T) {
	pub := &countPublisher{}
	hook := hookCases()[0].trigger
	mx, err := NewMux(MuxConfig{Routes: []RouteConfig{routeTrigger(nil)}, Hooks: []HookConfig{hook}}, pub)
	if err != nil {
		t.Fatal(err)
	}
	const readTimeout = 500 * time.Millisecond
	s := startServer(t, ServerConfig{ReadHeaderTimeout: readTimeout, ReadTimeout: readTimeout}, mx)
	addr := strings.TrimPrefix(s.URL(), "http://")
	for _, path := range []string{"/events", "/orders", hook.Path} {
		t.Run(path, func(t *testing.T) {
			start := time.Now()
			conn := slowRequest(t, addr, path, 20)
			go func() {
				for range 19 {
					time.Sleep(100 * time.Millisecond) // the slow client's pace, not a wait
					if _, err := conn.Write([]byte("x")); err != nil {
						return
					}
				}
			}()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			resp.Body.Close()
			if el := time.Since(start); resp.StatusCode != http.StatusRequestTimeout || el > readTimeout+time.Second {
				t.Errorf("answered %d after %s, want 408 soon after the %s read timeout", resp.StatusCode, el, readTimeout)
			}
		})
	}
	if n := pub.n.Load(); n != 0 {
		t.Errorf("%d events published from bodies that were cut off", n)
	}
}

func TestServerTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	s := startServer(t, ServerConfig{TLSCertFile: certFile, TLSKeyFile: keyFile},
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s, want https", s.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(s.URL() + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok" || resp.TLS == nil {
		t.Errorf("answer %d %q over TLS %v", resp.StatusCode, body, resp.TLS != nil)
	}
	plain, err := http.Get("http://" + strings.TrimPrefix(s.URL(), "https://") + "/livez")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered %d on the TLS listener", plain.StatusCode)
		}
	}
}

func TestNewServerConfigErrors(t *testing.T) {
	certFile, _, _ := selfSigned(t)
	tests := []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{name: "no address", cfg: ServerConfig{}, want: "http.addr: required"},
		{name: "certificate without key", cfg: ServerConfig{Addr: "127.0.0.1:0", TLSCertFile: certFile}, want: "http.tls: set both"},
		{name: "negative timeout", cfg: ServerConfig{Addr: "127.0.0.1:0", IdleTimeout: -1}, want: "http.timeouts: must not be negative"},
		{name: "header timeout over read timeout", cfg: ServerConfig{Addr: "127.0.0.1:0", ReadHeaderTimeout: time.Minute, ReadTimeout: time.Second},
			want: "http.readHeaderTimeout: must not be longer than the read timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.cfg, http.NotFoundHandler())
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrConfig with %q", err, tt.want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	if _, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", TLSCertFile: missing, TLSKeyFile: missing}, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing certificate: %v, want an error naming the file", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fnmesh test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
