package embedded_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker/embedded"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  embedded.Config
		want string
	}{
		{name: "no data dir", cfg: embedded.Config{}, want: "DataDir: required"},
		{name: "port", cfg: embedded.Config{DataDir: "x", Port: 70000}, want: "Port: must be between 0 (random) and 65535"},
		{name: "ready timeout", cfg: embedded.Config{DataDir: "x", ReadyTimeout: -time.Second}, want: "ReadyTimeout: must be positive"},
		{name: "monitor without port", cfg: embedded.Config{DataDir: "x", MonitorAddr: "localhost"}, want: `MonitorAddr "localhost": must be host:port`},
		{name: "monitor port", cfg: embedded.Config{DataDir: "x", MonitorAddr: ":http"}, want: `MonitorAddr ":http": port must be a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if _, err := embedded.Start(tt.cfg, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start() = %v, want %q", err, tt.want)
			}
		})
	}
	if err := (embedded.Config{DataDir: "x"}).Validate(); err != nil {
		t.Errorf("minimal config: %v", err)
	}
}

// The server takes connections in process and over TCP, and Shutdown may be
// called twice.
func TestStartConnectShutdown(t *testing.T) {
	srv, err := embedded.Start(embedded.Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := srv.Connect("in-process")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	tcp, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	sub, err := tcp.SubscribeSync("hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := tcp.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := in.Publish("hello", []byte("world")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil || string(msg.Data) != "world" {
		t.Fatalf("NextMsg = %v, %v", msg, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}
