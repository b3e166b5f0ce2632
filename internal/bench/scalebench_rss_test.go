package bench

import (
	"os"
	"os/exec"
	"testing"
)

// childRSS finds a real child process and reads its VmRSS.
func TestChildRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	before := len(childRSS(os.Getpid()))
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	rss := childRSS(os.Getpid())
	if len(rss) != before+1 {
		t.Fatalf("children with a resident set: %v, want %d", rss, before+1)
	}
	for _, n := range rss {
		if n <= 0 || n > 1<<20 {
			t.Errorf("VmRSS %d KiB of a sleep", n)
		}
	}
}

func TestStatusField(t *testing.T) {
	data := []byte("Name:\tx\nPPid:\t42\nVmRSS:\t  1234 kB\n")
	if got := statusField(data, "PPid:"); got != 42 {
		t.Errorf("PPid = %d", got)
	}
	if got := statusField(data, "VmRSS:"); got != 1234 {
		t.Errorf("VmRSS = %d", got)
	}
	if got := statusField(data, "VmSwap:"); got != -1 {
		t.Errorf("missing line = %d, want -1", got)
	}
}
