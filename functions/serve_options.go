package functions

import (
	"log/slog"
	"net"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/workers"
)

// ServeOption overrides what Serve would otherwise read from the
// environment.
type ServeOption func(*serveConfig)

type serveConfig struct {
	meshFile string
	conn     *nats.Conn
	log      *slog.Logger
	function string
	hooks    workers.Hooks
	healthLn net.Listener
}

// WithMeshFile serves a function of the mesh file at path instead of
// FNMESH_FILE.
func WithMeshFile(path string) ServeOption { return func(c *serveConfig) { c.meshFile = path } }

// WithConn uses nc instead of connecting with the NATS_* variables. Serve
// does not close a connection it was given.
func WithConn(nc *nats.Conn) ServeOption { return func(c *serveConfig) { c.conn = nc } }

// WithLogger logs to l instead of a logger built from FNMESH_LOG_LEVEL and
// FNMESH_LOG_FORMAT.
func WithLogger(l *slog.Logger) ServeOption { return func(c *serveConfig) { c.log = l } }

// WithFunction serves the function called name instead of FNMESH_FUNCTION.
func WithFunction(name string) ServeOption { return func(c *serveConfig) { c.function = name } }

// WithHooks installs the worker's observation points (tracing, metrics).
func WithHooks(h workers.Hooks) ServeOption { return func(c *serveConfig) { c.hooks = h } }

// withHealthListener serves /livez and /readyz on ln (tests).
func withHealthListener(ln net.Listener) ServeOption {
	return func(c *serveConfig) { c.healthLn = ln }
}
