//go:build !noderender

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -o is the output format for deploy render too: -o json prints a JSON
// List and makes no directory; --out-dir writes the files.
func TestDeployRenderOutput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n  - name: hello\n    run: { image: hello:1 }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	run := func(args ...string) (string, error) {
		root := newRootCmd()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(append([]string{"deploy", "render", "-f", file}, args...))
		err := root.ExecuteContext(t.Context())
		return out.String(), err
	}
	out, err := run("-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || list.Kind != "List" || len(list.Items) == 0 {
		t.Fatalf("-o json: %v, %.200s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "json")); err == nil {
		t.Error("-o json made a directory named json")
	}
	out, err = run()
	if err != nil || !strings.Contains(out, "kind: ConfigMap") {
		t.Errorf("default: %v, %.200s", err, out)
	}
	mdir := filepath.Join(dir, "manifests")
	if _, err := run("--out-dir", mdir); err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(mdir); err != nil || len(entries) != len(list.Items) {
		t.Errorf("--out-dir: %d files (%v), want %d", len(entries), err, len(list.Items))
	}
	if _, err := run("--out-dir", mdir, "-o", "json"); err == nil {
		t.Error("--out-dir with -o json: no error")
	}
}
