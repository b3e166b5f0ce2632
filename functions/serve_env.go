package functions

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// readServeEnv reads the worker contract from the process environment.
func readServeEnv() (workerenv.Env, error) {
	env, err := workerenv.Read(os.LookupEnv)
	if err != nil {
		return env, fmt.Errorf("environment: %w", err)
	}
	return env, nil
}

// Logger returns the logger Serve uses when WithLogger gives none: level and
// format from FNMESH_LOG_LEVEL and FNMESH_LOG_FORMAT, written to stderr, with
// trace_id and span_id on every line logged with a context inside a span
// (use the *Context methods with the handler's ctx).
func Logger() (*slog.Logger, error) {
	env, err := readServeEnv()
	if err != nil {
		return nil, err
	}
	l, err := telemetry.NewLogger(os.Stderr, env.LogLevel, env.LogFormat)
	if err != nil {
		return nil, fmt.Errorf("environment: %w", err)
	}
	return l, nil
}
