package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// spec is how the processes of one function are started.
type spec struct {
	fn   string
	argv []string // argv[0] is a path or a name looked up in PATH
	dir  string
	env  []string // without FNMESH_REPLICA and FNMESH_HEALTH_ADDR
	// health is the FNMESH_HEALTH_ADDR asked for: each replica gets a
	// port of its own from it (allocHealth).
	health healthBase
}

// spec resolves how w's workers are started: Command as given, a Generic
// workload through `<Self> worker`. The working directory is Dir relative
// to the mesh file (default the mesh file's directory).
func (rt *Runtime) spec(w scale.Workload) (spec, error) {
	if r := w.Runtime; r != "" && r != scale.RuntimeProcess {
		return spec{}, fmt.Errorf("process runtime: function %s: run.runtime is %q: %w", w.Function, r, scale.ErrNotRunnable)
	}
	dir, err := filepath.Abs(rt.resolve(w.Dir))
	if err != nil {
		return spec{}, fmt.Errorf("process runtime: function %s: run.dir: %w", w.Function, err)
	}
	var argv []string
	switch {
	case len(w.Command) > 0:
		argv = slices.Clone(w.Command)
		if argv[0], err = findProgram(w.Function, "run.command[0]", argv[0], dir); err != nil {
			return spec{}, err
		}
	case w.Generic:
		if len(w.Exec) > 0 {
			// The worker runs it per event: a program that cannot be found
			// would fail every event into the dead-letter stream.
			if _, err := findProgram(w.Function, "run.exec[0]", w.Exec[0], dir); err != nil {
				return spec{}, err
			}
		}
		if rt.cfg.Self == "" {
			return spec{}, fmt.Errorf("process runtime: function %s: run.http and run.exec need the fnmesh binary (Config.Self): %w", w.Function, scale.ErrNotRunnable)
		}
		argv = []string{rt.cfg.Self, "worker", "--function", w.Function, "-f", rt.meshFile}
	case w.Image != "":
		return spec{}, fmt.Errorf("process runtime: function %s: run.image needs the docker or kubernetes runtime: %w", w.Function, scale.ErrNotRunnable)
	default:
		return spec{}, fmt.Errorf("process runtime: function %s: run: one of command, http or exec is required: %w", w.Function, scale.ErrNotRunnable)
	}
	env, health, err := healthFrom(w.Function, rt.env(w))
	if err != nil {
		return spec{}, err
	}
	return spec{fn: w.Function, argv: argv, dir: dir, env: env, health: health}, nil
}

// findProgram resolves the program name of field: a path (relative to dir)
// must exist, a bare name must be found in PATH.
func findProgram(fn, field, name, dir string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("process runtime: function %s: %s: must not be empty: %w", fn, field, scale.ErrNotRunnable)
	}
	if !strings.ContainsRune(name, filepath.Separator) && !strings.ContainsRune(name, '/') {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("process runtime: function %s: %s %q: not found in PATH: %w", fn, field, name, scale.ErrNotRunnable)
		}
		return p, nil
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	if _, err := os.Stat(name); err != nil {
		return "", fmt.Errorf("process runtime: function %s: %s: %w: %w", fn, field, scale.ErrNotRunnable, err)
	}
	return name, nil
}

// resolve is path relative to the mesh file's directory.
func (rt *Runtime) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(rt.meshFile), path)
}

// env is the OTEL_* and system variables of this process
// (workerenv.Local), Config.Env, the function's env and secrets, then the
// worker contract (FNMESH_FUNCTION, FNMESH_FILE, the NATS variables), as
// workerenv.Compose layers them. Nothing else of this process's
// environment reaches a worker.
func (rt *Runtime) env(w scale.Workload) []string {
	return workerenv.Compose(workerenv.Local(rt.environ()), slices.Concat(rt.cfg.Env, workerenv.Sorted(w.Env), workerenv.Sorted(w.SecretEnv)),
		workerenv.Env{Function: w.Function, File: rt.meshFile, NATS: rt.cfg.NATS})
}

// command builds the process of one replica; healthAddr is its
// FNMESH_HEALTH_ADDR ("" for none).
func (s spec) command(replica, healthAddr string) *exec.Cmd {
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(slices.Clip(s.env), workerenv.Replica+"="+replica)
	if healthAddr != "" {
		cmd.Env = append(cmd.Env, workerenv.HealthAddr+"="+healthAddr)
	}
	cmd.SysProcAttr = procAttr()
	return cmd
}
