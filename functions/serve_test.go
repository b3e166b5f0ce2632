package functions

import (
	"context"
	"errors"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
)

// TestServeConfigErrors: a process that is not told what to serve says
// which variable or field is at fault.
func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	meshFile := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(meshFile, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: greet
    run: { command: ["greet"] }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	badMesh := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badMesh, []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions: [{name: x, concurrency: -1, run: {command: [x]}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nop := HandlerFunc(func(context.Context, event.Event) ([]event.Event, error) { return nil, nil })
	tests := []struct {
		name    string
		env     map[string]string
		handler Handler
		opts    []ServeOption
		is      error
		errHas  []string
	}{
		{name: "no function", env: map[string]string{"FNMESH_FILE": meshFile}, is: ErrNoFunction, errHas: []string{"FNMESH_FUNCTION is required"}},
		{name: "unknown function", env: map[string]string{"FNMESH_FILE": meshFile, "FNMESH_FUNCTION": "nope"}, is: ErrUnknownFunction,
			errHas: []string{`"nope"`, "mesh.yaml"}},
		{name: "missing mesh file", env: map[string]string{"FNMESH_FILE": filepath.Join(dir, "missing.yaml"), "FNMESH_FUNCTION": "greet"},
			is: os.ErrNotExist, errHas: []string{"missing.yaml"}},
		{name: "invalid mesh file", env: map[string]string{"FNMESH_FILE": badMesh, "FNMESH_FUNCTION": "x"}, errHas: []string{"bad.yaml", "concurrency"}},
		{name: "bad log level", env: map[string]string{"FNMESH_FILE": meshFile, "FNMESH_FUNCTION": "greet", "FNMESH_LOG_LEVEL": "loud"},
			errHas: []string{"FNMESH_LOG_LEVEL", "loud", "debug, info, warn or error"}},
		{name: "bad log format", env: map[string]string{"FNMESH_FILE": meshFile, "FNMESH_FUNCTION": "greet", "FNMESH_LOG_FORMAT": "xml"},
			errHas: []string{"FNMESH_LOG_FORMAT", "text or json"}},
		{name: "bad shutdown timeout", env: map[string]string{"FNMESH_FILE": meshFile, "FNMESH_FUNCTION": "greet", "FNMESH_SHUTDOWN_TIMEOUT": "soon"},
			errHas: []string{"FNMESH_SHUTDOWN_TIMEOUT"}},
		{name: "bad health address", env: map[string]string{"FNMESH_FILE": meshFile, "FNMESH_FUNCTION": "greet", "FNMESH_HEALTH_ADDR": "nowhere:-1"},
			errHas: []string{"FNMESH_HEALTH_ADDR"}},
		{name: "nil handler", handler: Handler(nil), errHas: []string{"handler is nil"}},
	}
	srv := brokertest.Server(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"FNMESH_FILE", "FNMESH_FUNCTION", "FNMESH_LOG_LEVEL", "FNMESH_LOG_FORMAT", "FNMESH_SHUTDOWN_TIMEOUT", "FNMESH_HEALTH_ADDR"} {
				t.Setenv(k, tt.env[k])
				if tt.env[k] == "" {
					os.Unsetenv(k)
				}
			}
			t.Setenv("NATS_URL", srv.ClientURL())
			h := tt.handler
			if h == nil && tt.name != "nil handler" {
				h = nop
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := Serve(ctx, h, tt.opts...)
			if err == nil {
				t.Fatal("Serve = nil, want a configuration error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

// TestServe runs a replica in-process against a real server: it becomes
// ready, handles an event, publishes the handler's follow-up with the
// causation chain, and returns nil once cancelled.
func TestServe(t *testing.T) {
	srv := brokertest.Server(t, "")
	nc := brokertest.Conn(t, srv)
	m := testMesh(t, "greet", "5s", 2)
	c := newClient(t, nc, m)

	// A subscriber on the follow-up's subject.
	replies := make(chan *event.Event, 1)
	sub, err := nc.Subscribe(broker.Subject(m.SubjectPrefix, "com.example.test.greeted"), func(msg *nats.Msg) {
		e, err := broker.DecodeMsg(msg.Header, msg.Data)
		if err != nil {
			t.Errorf("follow-up: %v", err)
			return
		}
		replies <- e
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	h := HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		out := event.New()
		out.SetType("com.example.test.greeted")
		_ = out.SetData(event.TextPlain, "hello "+e.ID())
		return []event.Event{out}, nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	healthURL := "http://" + ln.Addr().String()
	t.Setenv("FNMESH_FUNCTION", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, h, WithMeshFile(m.File), WithConn(nc), WithFunction("greet"), withHealthListener(ln))
	}()

	if got := get(t, healthURL+"/livez"); got != http.StatusOK {
		t.Errorf("/livez = %d, want 200", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for get(t, healthURL+"/readyz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz never answered 200")
		}
		time.Sleep(20 * time.Millisecond)
	}

	in := newTestEvent("/test/serve", "evt-1", "com.example.test.greet")
	if _, err := c.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-replies:
		if got := string(r.Data()); got != "hello evt-1" {
			t.Errorf("follow-up data = %q", got)
		}
		if got := r.Extensions()["causationid"]; got != "evt-1" {
			t.Errorf("follow-up causationid = %v, want evt-1", got)
		}
		if r.ID() == "" || r.Source() != "/fnmesh/functions/greet" {
			t.Errorf("follow-up id %q source %q: want a generated id and /fnmesh/functions/greet", r.ID(), r.Source())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no follow-up event")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v after cancellation, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancellation")
	}
	if !nc.IsConnected() {
		t.Error("Serve closed a connection it was given")
	}
	if _, err := http.Get(healthURL + "/livez"); err == nil {
		t.Error("health endpoint still answers after Serve returned")
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
