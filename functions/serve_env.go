package functions

import (
	"log/slog"
	"os"

	"fmt"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/fnmesh/fnmesh/broker"
)

// serveEnv is the environment of a worker process. Names are spelled out in
// full (no prefix) so envconfig never falls back to a bare name such as FILE.
type serveEnv struct {
	// Function is the function this process serves. FNMESH_FUNCTION.
	Function string `envconfig:"FNMESH_FUNCTION"`
	// File is the mesh file. FNMESH_FILE, default mesh.yaml.
	File string `envconfig:"FNMESH_FILE" default:"mesh.yaml"`
	// Replica identifies this process in logs. FNMESH_REPLICA.
	Replica string `envconfig:"FNMESH_REPLICA"`
	// HealthAddr, when set, serves /livez and /readyz. FNMESH_HEALTH_ADDR.
	HealthAddr string `envconfig:"FNMESH_HEALTH_ADDR"`
	// LogLevel is debug, info, warn or error. FNMESH_LOG_LEVEL.
	LogLevel string `envconfig:"FNMESH_LOG_LEVEL" default:"info"`
	// LogFormat is text or json. FNMESH_LOG_FORMAT.
	LogFormat string `envconfig:"FNMESH_LOG_FORMAT" default:"text"`
	// ShutdownTimeout bounds the drain on cancellation.
	// FNMESH_SHUTDOWN_TIMEOUT, default 30s.
	ShutdownTimeout time.Duration `envconfig:"FNMESH_SHUTDOWN_TIMEOUT" default:"30s"`
	// Conn says how to reach NATS (NATS_URL, NATS_USER, ...).
	Conn broker.ConnConfig `ignored:"true"`
}

// readServeEnv reads the process environment.
func readServeEnv() (serveEnv, error) {
	var env serveEnv
	if err := envconfig.Process("", &env); err != nil {
		return env, fmt.Errorf("environment: %w", err)
	}
	if err := envconfig.Process("", &env.Conn); err != nil {
		return env, fmt.Errorf("environment: %w", err)
	}
	if env.ShutdownTimeout <= 0 {
		return env, fmt.Errorf("environment: FNMESH_SHUTDOWN_TIMEOUT %s: must be positive", env.ShutdownTimeout)
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
