package embedded_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker/embedded"
)

// start starts a server with cfg (DataDir defaulted) and stops it at the
// end of the test.
func start(t *testing.T, cfg embedded.Config) *embedded.Server {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	srv, err := embedded.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}

// TestDataDirCredentials: the first call stores new credentials with mode
// 0600, later calls return the same ones, and a file others can read is
// refused.
func TestDataDirCredentials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := embedded.ReadCredentials(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadCredentials before any: %v, want fs.ErrNotExist", err)
	}
	c1, err := embedded.DataDirCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c1.User != embedded.DefaultUser || len(c1.Password) < 40 {
		t.Fatalf("generated %q / %d-character password, want user %q and a long password", c1.User, len(c1.Password), embedded.DefaultUser)
	}
	path := filepath.Join(dir, embedded.CredentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("%s: mode %04o, want 0600", path, perm)
	}
	c2, err := embedded.DataDirCredentials(dir)
	if err != nil || c2 != c1 {
		t.Fatalf("second call: %+v, %v; want the stored credentials", c2, err)
	}
	other, err := embedded.DataDirCredentials(t.TempDir())
	if err != nil || other.Password == c1.Password {
		t.Fatalf("another data dir: %v, same password %v; want its own", err, other.Password == c1.Password)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.DataDirCredentials(dir); !errors.Is(err, embedded.ErrInsecureCredentials) {
		t.Fatalf("mode 0644: %v, want ErrInsecureCredentials", err)
	}
}

// TestAuthRequired: with Auth a TCP client without credentials, or with
// wrong ones, is refused; with them it connects, and the in-process
// connection authenticates by itself.
func TestAuthRequired(t *testing.T) {
	creds, err := embedded.DataDirCredentials(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, embedded.Config{Auth: &creds})
	for name, opts := range map[string][]nats.Option{
		"no credentials": nil,
		"wrong password": {nats.UserInfo(creds.User, "guess")},
		"token":          {nats.Token(creds.Password)},
	} {
		nc, err := nats.Connect(srv.ClientURL(), opts...)
		if err == nil {
			nc.Close()
			t.Fatalf("%s: connected, want refused", name)
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Fatalf("%s: %v, want an authorization violation", name, err)
		}
	}
	nc, err := nats.Connect(srv.ClientURL(), creds.Options()...)
	if err != nil {
		t.Fatalf("with the credentials: %v", err)
	}
	nc.Close()
	in, err := srv.Connect("in-process")
	if err != nil {
		t.Fatalf("in-process: %v", err)
	}
	in.Close()
}

// TestBeyondLoopbackNeedsAuth: a listener on every interface without Auth
// is refused at start, naming the field.
func TestBeyondLoopbackNeedsAuth(t *testing.T) {
	_, err := embedded.Start(embedded.Config{DataDir: t.TempDir(), Host: "0.0.0.0"}, nil)
	if err == nil || !strings.Contains(err.Error(), `Host "0.0.0.0": listening beyond loopback requires Auth`) {
		t.Fatalf("Start on 0.0.0.0 without Auth: %v", err)
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost", ""} {
		if err := (embedded.Config{DataDir: "x", Host: host}).Validate(); err != nil {
			t.Errorf("Host %q without Auth: %v, want allowed", host, err)
		}
	}
	if err := (embedded.Config{DataDir: "x", TLSCert: "c.pem"}).Validate(); err == nil || !strings.Contains(err.Error(), "TLSCert and TLSKey") {
		t.Errorf("TLSCert alone: %v, want both required", err)
	}
	creds := embedded.Credentials{User: "u", Password: "p"}
	srv := start(t, embedded.Config{Host: "0.0.0.0", Auth: &creds})
	if !strings.HasPrefix(srv.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("ClientURL on 0.0.0.0 = %s, want the loopback address", srv.ClientURL())
	}
}

// TestTLS: with a certificate clients connect over TLS (trusting it) and a
// client that insists on plain text is refused.
func TestTLS(t *testing.T) {
	cert, key := selfSigned(t)
	creds := embedded.Credentials{User: "u", Password: "p"}
	srv := start(t, embedded.Config{Auth: &creds, TLSCert: cert, TLSKey: key})
	if !strings.HasPrefix(srv.ClientURL(), "tls://127.0.0.1:") {
		t.Fatalf("ClientURL = %s, want tls://", srv.ClientURL())
	}
	nc, err := nats.Connect(srv.ClientURL(), append(creds.Options(), nats.RootCAs(cert))...)
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	if _, err := nc.TLSConnectionState(); err != nil {
		t.Errorf("connection state: %v, want TLS", err)
	}
	nc.Close()
	if nc, err := nats.Connect(srv.ClientURL(), creds.Options()...); err == nil {
		nc.Close()
		t.Fatal("a client that does not trust the certificate connected")
	}
	in, err := srv.Connect("in-process")
	if err != nil {
		t.Fatalf("in-process with TLS on: %v", err)
	}
	in.Close()
}

// selfSigned writes a certificate for 127.0.0.1 and its key, PEM, and
// returns their paths.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fnmesh test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
