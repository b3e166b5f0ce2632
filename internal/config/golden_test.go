package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden loads every testdata/*.yaml as fnmesh does (with the
// components' defaults and rules, meshmap.Load) and compares the outcome
// with the .golden file beside it: the error text for broken files, the
// decoded mesh with its defaults (as JSON) for files named valid-*.yaml.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no testdata/*.yaml inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			wantValid := strings.HasPrefix(name, "valid-")
			m, err := meshmap.Load(in)
			var got []byte
			switch {
			case wantValid && err != nil:
				t.Fatalf("Load(%s): %v", in, err)
			case !wantValid && err == nil:
				t.Fatalf("Load(%s) = nil error, want one", in)
			case err != nil:
				if !errors.Is(err, config.ErrInvalid) {
					t.Errorf("error does not wrap ErrInvalid: %v", err)
				}
				got = []byte(err.Error() + "\n")
			default:
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(m); err != nil {
					t.Fatal(err)
				}
				got = buf.Bytes()
			}
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s (go test -run TestGolden -update rewrites it)\n--- got\n%s--- want\n%s", in, golden, got, want)
			}
		})
	}
}
