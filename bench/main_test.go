package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		mention string // empty: valid
	}{
		{name: "defaults", args: nil},
		{name: "small run", args: []string{"-count", "10", "-duration", "200ms", "-json"}},
		{name: "zero count", args: []string{"-count", "0"}, mention: "-count"},
		{name: "payload too small for the timestamp", args: []string{"-size", "4"}, mention: "-size"},
		{name: "no publishers", args: []string{"-concurrency", "0"}, mention: "-concurrency"},
		{name: "negative rate", args: []string{"-rate", "-1"}, mention: "-rate"},
		{name: "short duration", args: []string{"-duration", "1ms"}, mention: "-duration"},
		{name: "stray argument", args: []string{"pipeline"}, mention: "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.mention == "" && err != nil:
				t.Fatalf("parseFlags: %v", err)
			case tt.mention != "" && (err == nil || !strings.Contains(err.Error(), tt.mention)):
				t.Fatalf("parseFlags = %v, want an error naming %s", err, tt.mention)
			}
		})
	}
}

// TestRun runs the three systems on an embedded broker with tiny counts
// and checks the structure of the report, not the speed.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-count", "300", "-rate", "500", "-duration", "200ms", "-concurrency", "4", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	var names []string
	for _, r := range rep.Systems {
		names = append(names, r.System)
		if r.PublishRate <= 0 || r.ConsumeRate <= 0 || r.P50Ms <= 0 || r.P50Ms > r.P99Ms || r.P99Ms > r.MaxMs {
			t.Errorf("%s: %+v: want positive rates and 0 < p50 <= p99 <= max", r.System, r)
		}
	}
	if got := strings.Join(names, ","); got != "nats.go,Watermill,fnmesh" {
		t.Fatalf("systems %s", got)
	}
	if want := ratio(rep.Systems[2].ConsumeRate, rep.Systems[0].ConsumeRate); rep.FnmeshVsNATS != want {
		t.Errorf("fnmesh_vs_natsgo = %v, want %v", rep.FnmeshVsNATS, want)
	}
	if want := ratio(rep.Systems[2].ConsumeRate, rep.Systems[1].ConsumeRate); rep.FnmeshVsWatermill != want {
		t.Errorf("fnmesh_vs_watermill = %v, want %v", rep.FnmeshVsWatermill, want)
	}
	if rep.Machine.CPUs <= 0 {
		t.Errorf("machine %+v", rep.Machine)
	}
}

func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"", "-count 10", "-size 4", "-duration 1h -rate 7", "-json pipeline", "-count=-1 -nats-url x", "--concurrency 0x10", "-h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		s, err := parseFlags(strings.Fields(line), io.Discard)
		if err != nil {
			return
		}
		if s.count < 1 || s.size < 8 || s.concurrency < 1 || s.rate < 1 || s.duration < 100*time.Millisecond {
			t.Fatalf("parseFlags(%q) accepted %+v", line, s)
		}
	})
}
