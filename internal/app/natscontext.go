package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// natsContext is the part of a nats CLI context (natscli's
// natscontext.Settings) that reaches the embedded server.
type natsContext struct {
	Description string `json:"description"`
	URL         string `json:"url"`
	User        string `json:"user"`
	Password    string `json:"password"`
	CA          string `json:"ca,omitempty"`
}

// natsContextDir is where the nats CLI looks for contexts:
// $XDG_CONFIG_HOME/nats/context, else ~/.config/nats/context.
func natsContextDir() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "nats", "context"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".config", "nats", "context"), nil
}

// writeNATSContext writes the nats CLI context name for the server n
// reaches (URL, user, password, CA) with mode 0600, replacing an earlier
// one of the same name, and returns its path. The password is in it, as
// the nats CLI reads it: the file is the owner's only.
func writeNATSContext(name, dataDir string, n workerenv.NATS) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("FNMESH_NATS_CONTEXT %q: must be a plain name (no path)", name)
	}
	dir, err := natsContextDir()
	if err != nil {
		return "", fmt.Errorf("nats context: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("nats context: %w", err)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	data, err := json.MarshalIndent(natsContext{
		Description: "fnmesh up, data directory " + abs,
		URL:         n.URL, User: n.User, Password: n.Password, CA: n.CA,
	}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("nats context: %w", err)
	}
	path := filepath.Join(dir, name+".json")
	// Write aside and rename, so that a reader never sees half a file and
	// a file created earlier with looser permissions is replaced.
	tmp, err := os.CreateTemp(dir, "."+name+"-*.json")
	if err != nil {
		return "", fmt.Errorf("nats context: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("nats context %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("nats context %s: %w", path, err)
	}
	return path, nil
}
