package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/workers/scale"
)

func TestPrintStatusShowsFlow(t *testing.T) {
	var out bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	err := printStatus(cmd, []scale.FunctionStatus{
		{Function: "limited", Flow: "rate 100/1s"},
		{Function: "plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "FLOW") {
		t.Fatalf("status:\n%s", out.String())
	}
	if !strings.Contains(lines[1], "rate 100/1s") {
		t.Errorf("limited row %q: want its rate limit", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) < 6 || f[5] != "-" {
		t.Errorf("plain row %q: want - in FLOW", lines[2])
	}
}
