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
	env  []string // without FNMESH_REPLICA
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
		if argv[0] == "" {
			return spec{}, fmt.Errorf("process runtime: function %s: run.command[0]: must not be empty: %w", w.Function, scale.ErrNotRunnable)
		}
		if strings.ContainsRune(argv[0], filepath.Separator) || strings.ContainsRune(argv[0], '/') {
			if !filepath.IsAbs(argv[0]) {
				argv[0] = filepath.Join(dir, argv[0])
			}
		} else if p, err := exec.LookPath(argv[0]); err == nil {
			argv[0] = p
		} else {
			return spec{}, fmt.Errorf("process runtime: function %s: run.command[0] %q: %w: %w", w.Function, argv[0], scale.ErrNotRunnable, err)
		}
		if _, err := os.Stat(argv[0]); err != nil {
			return spec{}, fmt.Errorf("process runtime: function %s: run.command[0]: %w: %w", w.Function, scale.ErrNotRunnable, err)
		}
	case w.Generic:
		if rt.cfg.Self == "" {
			return spec{}, fmt.Errorf("process runtime: function %s: run.http and run.exec need the fnmesh binary (Config.Self): %w", w.Function, scale.ErrNotRunnable)
		}
		argv = []string{rt.cfg.Self, "worker", "--function", w.Function, "-f", rt.meshFile}
	case w.Image != "":
		return spec{}, fmt.Errorf("process runtime: function %s: run.image needs the docker or kubernetes runtime: %w", w.Function, scale.ErrNotRunnable)
	default:
		return spec{}, fmt.Errorf("process runtime: function %s: run: one of command, http or exec is required: %w", w.Function, scale.ErrNotRunnable)
	}
	return spec{fn: w.Function, argv: argv, dir: dir, env: rt.env(w)}, nil
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

// command builds the process of one replica.
func (s spec) command(replica string) *exec.Cmd {
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(slices.Clip(s.env), workerenv.Replica+"="+replica)
	cmd.SysProcAttr = procAttr()
	return cmd
}
