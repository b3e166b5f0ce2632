package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

// TestEmbeddedBrokerRequiresCredentials: `up` on an embedded server refuses
// a raw connection without credentials, takes one with the credentials of
// its data directory (mode 0600, the same after a restart), and writes a
// nats CLI context holding them.
func TestEmbeddedBrokerRequiresCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(meshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	env := config.Env{DataDir: data, HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1", NATSContext: "fnmesh-test"}
	up := func() *app.App {
		t.Helper()
		a, err := app.New(context.Background(), app.Config{Mesh: m, Env: env, ShutdownTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	a := up()
	url := a.NATSURL()
	if nc, err := nats.Connect(url); err == nil {
		nc.Close()
		t.Fatal("a connection without credentials was accepted")
	} else if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("without credentials: %v, want an authorization violation", err)
	}
	creds, err := embedded.ReadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(data, embedded.CredentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	streams := func(url string, opts ...nats.Option) []string {
		t.Helper()
		nc, err := nats.Connect(url, opts...)
		if err != nil {
			t.Fatalf("with the data directory's credentials: %v", err)
		}
		defer nc.Close()
		js, err := nc.JetStream()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range js.StreamNames() {
			names = append(names, n)
		}
		return names
	}
	if got := streams(url, creds.Options()...); len(got) == 0 {
		t.Fatal("no streams visible with the credentials")
	}

	ctxFile := filepath.Join(dir, "config", "nats", "context", "fnmesh-test.json")
	fi, err = os.Stat(ctxFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("nats context %s: %v, %v; want mode 0600", ctxFile, fi, err)
	}
	var nctx struct{ URL, User, Password string }
	b, _ := os.ReadFile(ctxFile)
	if err := json.Unmarshal(b, &nctx); err != nil || nctx.URL != url || nctx.User != creds.User || nctx.Password != creds.Password {
		t.Fatalf("nats context %s = %s (%v); want url %s and the data directory's credentials", ctxFile, b, err, url)
	}
	a.Close()

	// A restart on the same data directory keeps the credentials.
	a = up()
	defer a.Close()
	if got := streams(a.NATSURL(), nats.UserInfo(nctx.User, nctx.Password)); len(got) == 0 {
		t.Fatal("after a restart: no streams visible with the stored credentials")
	}
}
