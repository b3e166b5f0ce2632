package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// TestValidateWarnsOfDiscardOldWithLimits: a discard-old stream with a
// limit is valid but warned about, naming the stream and the limit; the
// default (discard new) is not.
func TestValidateWarnsOfDiscardOldWithLimits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
streams:
  - { name: EVENTS, subjects: ["events.>"], maxMsgs: 500, discard: old }
  - { name: AUDIT, subjects: ["audit.>"], maxBytes: 1048576 }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string) {
		t.Helper()
		out, errOut, err := execRoot(t, append([]string{"validate", "-f", file}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return out, errOut
	}
	out, stderr := run()
	want := "streams[0] (EVENTS).discard: old with maxMsgs 500: an event can be removed before every function processed it"
	if !strings.Contains(out, "valid (2 streams") || !strings.Contains(stderr, "warning: "+want) || strings.Contains(stderr, "AUDIT") {
		t.Errorf("text: stdout %q stderr %q; want valid and one warning about EVENTS", out, stderr)
	}
	out, _ = run("-o", "json")
	var got struct {
		Valid    bool     `json:"valid"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || !got.Valid || len(got.Warnings) != 1 || !strings.HasPrefix(got.Warnings[0], want) {
		t.Errorf("json: %s (%v); want valid with the one warning", out, err)
	}
}

// `validate -o json` prints every problem as {file,line,column,field,
// message}, and a CESQL filter calling an unknown function is one, at its
// line and column.
func TestValidateJSONErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: a
    run: { image: "a:1" }
    filters:
      - cesql: "NOSUCHFN(type) = 1"
  - name: b
    run: { image: "b:1" }
    startFrom: yesterday
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := execRoot(t, "validate", "-f", file, "-o", "json")
	if err == nil {
		t.Fatal("validate of an invalid file succeeded")
	}
	var got struct {
		Valid  bool             `json:"valid"`
		Errors []fieldErrorJSON `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	want := []fieldErrorJSON{
		{File: file, Line: 7, Column: 16, Field: "functions[0].filters[0].cesql",
			Message: "not a valid CloudEvents SQL expression: column 1: unknown function NOSUCHFN with 1 argument(s)"},
		{File: file, Line: 10, Column: 16, Field: "functions[1].startFrom",
			Message: `must be new, all or an RFC 3339 time (2026-01-02T15:04:05Z), not "yesterday"`},
	}
	if got.Valid || len(got.Errors) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got.Errors[i] != want[i] {
			t.Errorf("error %d = %+v, want %+v", i, got.Errors[i], want[i])
		}
	}
}

// With the broker in sight, validate notes a changed startFrom of a
// function that exists already, and apply warns of it.
func TestValidateNotesStartFromChanged(t *testing.T) {
	srv := brokertest.Server(t, "")
	t.Setenv("NATS_URL", srv.ClientURL())
	t.Setenv("FNMESH_DATA_DIR", t.TempDir())
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	write := func(startFrom string) {
		if err := os.WriteFile(file, []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n  - name: mailer\n    startFrom: "+
			startFrom+"\n    run: { image: mailer:1 }\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		_, errOut, err := execRoot(t, append(args, "-f", file)...)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		return errOut
	}
	write("all")
	if stderr := run("validate"); strings.Contains(stderr, "startFrom") {
		t.Errorf("before the function exists: %q", stderr)
	}
	run("apply")
	write("new")
	const want = "startFrom changed on existing function mailer: no effect without a replay"
	if stderr := run("validate"); !strings.Contains(stderr, "note: "+want) {
		t.Errorf("validate stderr %q, want a note %q", stderr, want)
	}
	if stderr := run("apply"); !strings.Contains(stderr, "warning: "+want) {
		t.Errorf("apply stderr %q, want a warning %q", stderr, want)
	}
}

// `fnmesh validate` accepts the flow settings in every combination.
func TestValidateFlowCombinations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: load-partner
    run: { image: "a:1" }
    concurrency: 2
    rateLimit: { events: 1000, per: 1s }
    batch: { maxEvents: 100, maxWait: 200ms }
  - name: per-customer
    run: { image: "b:1" }
    rateLimit: { events: 100, per: 1s }
    ordering: { key: customerid }
  - name: ordered-batches
    run: { image: "c:1" }
    ordering: { key: customerid }
    batch: { maxEvents: 100, maxWait: 200ms }
  - name: all-three
    run: { image: "d:1" }
    rateLimit: { events: 100, per: 1s }
    ordering: { key: customerid }
    batch: { maxEvents: 100, maxWait: 200ms }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := execRoot(t, "validate", "-f", file)
	if err != nil || !strings.Contains(out, "valid") {
		t.Errorf("validate: %v\n%s%s", err, out, errOut)
	}
}

// execRoot runs the fnmesh command line with args and returns what it
// wrote to standard output and standard error.
func execRoot(t *testing.T, args ...string) (out, errOut string, err error) {
	t.Helper()
	root := newRootCmd()
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	root.SetArgs(args)
	err = root.ExecuteContext(t.Context())
	return o.String(), e.String(), err
}
