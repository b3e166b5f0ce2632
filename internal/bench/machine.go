package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	// CPUs is runtime.NumCPU(), GOMAXPROCS the scheduler's setting.
	CPUs       int `json:"cpus"`
	GOMAXPROCS int `json:"gomaxprocs"`
	// CPUModel is the processor's model name when the system tells it.
	CPUModel string `json:"cpu_model,omitempty"`
	// GOOS, GOARCH and Go (the toolchain version) of the binary.
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	Go     string `json:"go"`
}

// ThisMachine describes the running machine.
func ThisMachine() Machine {
	return Machine{
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPUModel:   cpuModel(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		Go:         runtime.Version(),
	}
}

// String is a one-line description.
func (m Machine) String() string {
	model := ""
	if m.CPUModel != "" {
		model = " (" + m.CPUModel + ")"
	}
	return fmt.Sprintf("%d CPUs%s, GOMAXPROCS %d, %s/%s, %s", m.CPUs, model, m.GOMAXPROCS, m.GOOS, m.GOARCH, m.Go)
}

// cpuModel reads the first "model name" of /proc/cpuinfo (Linux only;
// empty elsewhere).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
