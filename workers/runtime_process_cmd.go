package workers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fnmesh/fnmesh/internal/config"
)

// procSpec is how the processes of one function are started.
type procSpec struct {
	fn   string
	argv []string // argv[0] is a path or a name looked up in PATH
	dir  string
	env  []string // without FNMESH_REPLICA
}

// spec resolves how fn's workers are started: run.command as given, run.http
// and run.exec through `<Self> worker`. The working directory is run.dir
// relative to the mesh file (default the mesh file's directory).
func (rt *ProcessRuntime) spec(fn *config.Function) (procSpec, error) {
	if r := fn.Run.Runtime; r != "" && r != "process" {
		return procSpec{}, fmt.Errorf("process runtime: function %s: run.runtime is %q: %w", fn.Name, r, ErrNotRunnable)
	}
	dir, err := filepath.Abs(rt.resolve(fn.Run.Dir))
	if err != nil {
		return procSpec{}, fmt.Errorf("process runtime: function %s: run.dir: %w", fn.Name, err)
	}
	var argv []string
	switch {
	case len(fn.Run.Command) > 0:
		argv = slices.Clone(fn.Run.Command)
		if argv[0] == "" {
			return procSpec{}, fmt.Errorf("process runtime: function %s: run.command[0]: must not be empty: %w", fn.Name, ErrNotRunnable)
		}
		if strings.ContainsRune(argv[0], filepath.Separator) || strings.ContainsRune(argv[0], '/') {
			if !filepath.IsAbs(argv[0]) {
				argv[0] = filepath.Join(dir, argv[0])
			}
		} else if p, err := exec.LookPath(argv[0]); err == nil {
			argv[0] = p
		} else {
			return procSpec{}, fmt.Errorf("process runtime: function %s: run.command[0] %q: %w: %w", fn.Name, argv[0], ErrNotRunnable, err)
		}
		if _, err := os.Stat(argv[0]); err != nil {
			return procSpec{}, fmt.Errorf("process runtime: function %s: run.command[0]: %w: %w", fn.Name, ErrNotRunnable, err)
		}
	case fn.Run.HTTP != nil || len(fn.Run.Exec) > 0:
		if rt.cfg.Self == "" {
			return procSpec{}, fmt.Errorf("process runtime: function %s: run.http and run.exec need the fnmesh binary (ProcessConfig.Self): %w", fn.Name, ErrNotRunnable)
		}
		argv = []string{rt.cfg.Self, "worker", "--function", fn.Name, "-f", rt.meshFile}
	case fn.Run.Image != "":
		return procSpec{}, fmt.Errorf("process runtime: function %s: run.image needs the docker or kubernetes runtime: %w", fn.Name, ErrNotRunnable)
	default:
		return procSpec{}, fmt.Errorf("process runtime: function %s: run: one of command, http or exec is required: %w", fn.Name, ErrNotRunnable)
	}
	return procSpec{fn: fn.Name, argv: argv, dir: dir, env: rt.env(fn)}, nil
}

// resolve is path relative to the mesh file's directory.
func (rt *ProcessRuntime) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(rt.meshFile), path)
}

// env is os.Environ(), ProcessConfig.Env, the function's env, then the
// variables a worker is configured by; OTEL_SERVICE_NAME is the function's
// name unless ProcessConfig.Env or the function's env sets it (the value
// `fnmesh up` itself runs under would put every function under one name).
// Later entries win.
func (rt *ProcessRuntime) env(fn *config.Function) []string {
	env := slices.Concat(os.Environ(), rt.cfg.Env, sortedEnv(fn.Env))
	env = append(env,
		"FNMESH_FUNCTION="+fn.Name,
		"FNMESH_FILE="+rt.meshFile,
	)
	if rt.cfg.NATSURL != "" {
		env = append(env, "NATS_URL="+rt.cfg.NATSURL)
	}
	own := slices.Concat(rt.cfg.Env, sortedEnv(fn.Env))
	if !slices.ContainsFunc(own, func(kv string) bool { return strings.HasPrefix(kv, "OTEL_SERVICE_NAME=") }) {
		env = append(env, "OTEL_SERVICE_NAME="+fn.Name)
	}
	return env
}

// command builds the process of one replica.
func (s procSpec) command(replica string) *exec.Cmd {
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(slices.Clip(s.env), "FNMESH_REPLICA="+replica)
	cmd.SysProcAttr = procAttr()
	return cmd
}
