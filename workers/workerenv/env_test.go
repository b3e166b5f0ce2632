package workerenv_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/workers/workerenv"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestReadDefaultsAndValues(t *testing.T) {
	e, err := workerenv.Read(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if e != (workerenv.Env{File: "mesh.yaml", LogLevel: "info", LogFormat: "text"}) {
		t.Errorf("defaults = %+v", e)
	}
	e, err = workerenv.Read(lookup(map[string]string{
		"FNMESH_FUNCTION": "f", "FNMESH_FILE": "/m.yaml", "FNMESH_REPLICA": "f-1", "FNMESH_HEALTH_ADDR": ":8081",
		"FNMESH_SHUTDOWN_TIMEOUT": "45s", "FNMESH_LOG_LEVEL": "debug", "FNMESH_LOG_FORMAT": "json",
		"NATS_URL": "nats://n:4222", "NATS_USER": "u", "NATS_PASSWORD": "p", "NATS_TLS_FIRST": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := workerenv.Env{Function: "f", File: "/m.yaml", Replica: "f-1", HealthAddr: ":8081", ShutdownTimeout: 45 * time.Second,
		LogLevel: "debug", LogFormat: "json", NATS: workerenv.NATS{URL: "nats://n:4222", User: "u", Password: "p", TLSFirst: true}}
	if e != want {
		t.Errorf("Read = %+v, want %+v", e, want)
	}
	// Vars writes back what Read reads.
	back := map[string]string{}
	for _, kv := range e.Vars() {
		k, v, _ := strings.Cut(kv, "=")
		back[k] = v
	}
	if again, err := workerenv.Read(lookup(back)); err != nil || again != e {
		t.Errorf("Read(Vars()) = %+v, %v; want %+v", again, err, e)
	}
}

func TestReadErrorsNameTheVariable(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"FNMESH_SHUTDOWN_TIMEOUT": {"FNMESH_SHUTDOWN_TIMEOUT": "soon"},
		"NATS_TLS_FIRST":          {"NATS_TLS_FIRST": "maybe"},
	} {
		_, err := workerenv.Read(lookup(env))
		if !errors.Is(err, workerenv.ErrInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want ErrInvalid naming it", name, err)
		}
	}
	if _, err := workerenv.Read(lookup(map[string]string{"FNMESH_SHUTDOWN_TIMEOUT": "0s"})); !errors.Is(err, workerenv.ErrInvalid) {
		t.Errorf("a zero shutdown timeout: err = %v, want ErrInvalid", err)
	}
}

func TestCompose(t *testing.T) {
	got := workerenv.Compose(
		[]string{"PATH=/bin", "FNMESH_FUNCTION=inherited", "SHARED=inherited"},
		[]string{"SHARED=own", "FNMESH_REPLICA=own"},
		workerenv.Env{Function: "f", File: "/m.yaml", Replica: "f-2", NATS: workerenv.NATS{URL: "nats://n:4222"}},
	)
	want := []string{"FNMESH_FILE=/m.yaml", "FNMESH_FUNCTION=f", "FNMESH_REPLICA=f-2", "NATS_URL=nats://n:4222",
		"OTEL_SERVICE_NAME=f", "PATH=/bin", "SHARED=own"}
	if !slices.Equal(got, want) {
		t.Errorf("Compose =\n%q\nwant\n%q", got, want)
	}
	own := workerenv.Compose(nil, []string{"OTEL_SERVICE_NAME=orders"}, workerenv.Env{Function: "f"})
	if !slices.Contains(own, "OTEL_SERVICE_NAME=orders") {
		t.Errorf("the function's own OTEL_SERVICE_NAME was replaced: %q", own)
	}
	inherited := workerenv.Compose([]string{"OTEL_SERVICE_NAME=fnmesh"}, nil, workerenv.Env{Function: "f"})
	if !slices.Contains(inherited, "OTEL_SERVICE_NAME=f") {
		t.Errorf("the runtime's own service name leaked to the worker: %q", inherited)
	}
}
