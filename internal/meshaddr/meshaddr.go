package meshaddr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FileName is the name of the file in the data directory.
const FileName = "listen.json"

// Addr is where one `fnmesh up` listens.
type Addr struct {
	// HTTP is the base URL of the HTTP listener (triggers, /events, and
	// the operational endpoints /status, /metrics, /livez, /readyz).
	HTTP string `json:"http"`
	// Ingest is the URL of the CloudEvents endpoint: HTTP with the mesh's
	// ingest.path (which need not be /events).
	Ingest string `json:"ingest,omitempty"`
	// NATS is the URL of the broker the mesh uses.
	NATS string `json:"nats"`
	// Ops is the base URL of the operational endpoints (the HTTP listener).
	Ops string `json:"ops"`
	// PID is the process id of `fnmesh up`.
	PID int `json:"pid"`
}

// Path is the file's path in dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, FileName) }

// Write records a in dataDir atomically: readers see the old file or the
// new one, never a part.
func Write(dataDir string, a Addr) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("meshaddr: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("meshaddr: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, FileName+".*")
	if err != nil {
		return fmt.Errorf("meshaddr: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing to remove
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("meshaddr: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("meshaddr: %w", err)
	}
	if err := os.Rename(tmp.Name(), Path(dataDir)); err != nil {
		return fmt.Errorf("meshaddr: %w", err)
	}
	return nil
}

// Remove deletes the file of dataDir if it names process pid (a newer `up`
// may have replaced it). A missing file is not an error.
func Remove(dataDir string, pid int) error {
	a, err := readFile(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && a.PID != pid {
		return nil
	}
	if err := os.Remove(Path(dataDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("meshaddr: %w", err)
	}
	return nil
}

// Read returns the addresses recorded in dataDir. ok is false when there is
// no file, or when the process it names is gone; err is set only for a
// file that cannot be read or decoded.
func Read(dataDir string) (a Addr, ok bool, err error) {
	a, err = readFile(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return Addr{}, false, nil
	}
	if err != nil {
		return Addr{}, false, err
	}
	if !alive(a.PID) {
		return Addr{}, false, nil
	}
	return a, true, nil
}

func readFile(dataDir string) (Addr, error) {
	b, err := os.ReadFile(Path(dataDir))
	if err != nil {
		return Addr{}, err
	}
	var a Addr
	if err := json.Unmarshal(b, &a); err != nil {
		return Addr{}, fmt.Errorf("meshaddr: %s: %w", Path(dataDir), err)
	}
	return a, nil
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// RedactURL is a NATS server URL list ("nats://a:4222,nats://b:4222")
// without the user and password any of them carries: the file holds where
// the mesh is, never how to log in.
func RedactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		u.User = nil
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}
