package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// childRSS is the resident set (VmRSS, KiB) of each live child process of
// pid, read from /proc: the replicas the process runtime started. It
// returns nothing where /proc is not there.
func childRSS(pid int) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/status")
	var out []int
	for _, f := range dirs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		ppid, rss := statusField(data, "PPid:"), statusField(data, "VmRSS:")
		if ppid == pid && rss > 0 {
			out = append(out, rss)
		}
	}
	return out
}

// statusField is the first number of a /proc/<pid>/status line, -1 when
// the line is not there.
func statusField(data []byte, key string) int {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return -1
			}
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// formatKiB writes n KiB as MB (10^6 bytes), as the tables do.
func formatKiB(n int) string {
	return fmt.Sprintf("%.1f MB", float64(n)*1024/1e6)
}
