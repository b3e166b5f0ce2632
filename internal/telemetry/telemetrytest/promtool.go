package telemetrytest

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// CheckMetrics runs `promtool check metrics` (the exposition's syntax and
// the Prometheus naming rules) over a text exposition and fails t with
// promtool's findings, and when a label of the instrumentation scope
// (otel_scope_*) is empty. promtool comes from Debian's prometheus package;
// without it the test fails, unless FNMESH_NO_PROMTOOL=1 says the machine
// cannot have it (then the test is skipped, saying so).
func CheckMetrics(t testing.TB, exposition []byte) {
	t.Helper()
	tool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("FNMESH_NO_PROMTOOL") == "1" {
			t.Skip("promtool not installed and FNMESH_NO_PROMTOOL=1: the exposition is not checked")
		}
		t.Fatalf("promtool not found in PATH: install it (apt-get install -y prometheus) or set FNMESH_NO_PROMTOOL=1 to skip: %v", err)
	}
	cmd := exec.Command(tool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\n--- exposition:\n%s", err, out, exposition)
	}
	if empty := emptyScope.Find(exposition); empty != nil {
		t.Errorf("exposition has an empty scope label: %s", empty)
	}
}

var emptyScope = regexp.MustCompile(`otel_scope_[a-zA-Z0-9_]+=""`)
