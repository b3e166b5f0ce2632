package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/internal/bench"
)

func TestBenchCommandJSON(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"bench", "pipeline", "--count", "100", "--concurrency", "4", "-o", "json"})
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Scenario string         `json:"scenario"`
		FnMesh   map[string]any `json:"fnmesh"`
		Baseline map[string]any `json:"baseline"`
		Ratio    float64        `json:"ratio"`
		Machine  map[string]any `json:"machine"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	rate := func(m map[string]any) float64 { f, _ := m["rate"].(float64); return f }
	if got.Scenario != "pipeline" || rate(got.FnMesh) <= 0 || rate(got.Baseline) <= 0 || got.Ratio <= 0 {
		t.Errorf("result %s", out.String())
	}
	for _, k := range []string{"p50_ms", "p99_ms", "count"} {
		if _, ok := got.FnMesh[k]; !ok {
			t.Errorf("fnmesh lacks %q", k)
		}
	}
	for _, k := range []string{"cpus", "goos", "goarch", "go"} {
		if _, ok := got.Machine[k]; !ok {
			t.Errorf("machine lacks %q", k)
		}
	}
}

func TestBenchCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		is      error
		mention string
	}{
		{name: "unknown scenario", args: []string{"bench", "nope"}, is: bench.ErrUnknownScenario, mention: `"nope"`},
		{name: "no scenario", args: []string{"bench"}, mention: "name a scenario"},
		{name: "bad count", args: []string{"bench", "pipeline", "--count", "-1"}, is: bench.ErrInvalidConfig, mention: "--count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRootCmd()
			root.SetOut(&bytes.Buffer{})
			root.SetErr(&bytes.Buffer{})
			root.SetArgs(tt.args)
			err := root.ExecuteContext(t.Context())
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error = %v, want %v naming %s", err, tt.is, tt.mention)
			}
		})
	}
}
