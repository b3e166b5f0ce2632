package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app"
)

// `fnmesh apply` declares the consumers of a mesh on the NATS server of
// NATS_URL and prints what it applied.
func TestApplyCommand(t *testing.T) {
	e := brokertest.Server(t, "")
	t.Setenv("NATS_URL", e.ClientURL())
	mesh := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(mesh, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: record
    filters: [{ exact: { type: com.example.recorded } }]
    run: { image: "example/record:1" }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetArgs(args)
		if err := cmd.ExecuteContext(t.Context()); err != nil {
			t.Fatalf("fnmesh %v: %v", args, err)
		}
		return out.Bytes()
	}
	text := run("apply", "-f", mesh)
	want := "stream EVENTS\nstream DEADLETTER\nstream FNMESH_RUNS\nconsumer EVENTS/record (function record) filters events.com.example.recorded\n"
	if string(text) != want {
		t.Errorf("output:\n%s\nwant:\n%s", text, want)
	}
	var applied app.Applied
	if err := json.Unmarshal(run("apply", "-f", mesh, "-o", "json"), &applied); err != nil {
		t.Fatal(err)
	}
	if len(applied.Consumers) != 1 || applied.Consumers[0].Consumer != "record" {
		t.Errorf("json: %+v", applied)
	}
	c := brokertest.Client(t, e)
	if _, err := c.ConsumerInfo(t.Context(), "EVENTS", "record"); err != nil {
		t.Errorf("consumer record after apply: %v", err)
	}
}
