package app

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// Config is what one `fnmesh up` process runs: the mesh and the process
// settings that are not part of the mesh file.
type Config struct {
	// Mesh is the validated mesh file (meshmap.Load). Required.
	Mesh *config.Mesh
	// Env is the process's FNMESH_* settings after flags were applied.
	Env config.Env
	// NATS is how to reach an external NATS (NATS_URL and its credential
	// variables, as the worker contract spells them). With an empty URL
	// `up` runs the embedded server.
	NATS workerenv.NATS
	// NoFunctions runs the broker and the triggers only.
	NoFunctions bool
	// ShutdownTimeout bounds the drain of every component on stop.
	ShutdownTimeout time.Duration
	// Log receives everything `up` logs; nil discards.
	Log *slog.Logger
	// Executable is the fnmesh binary local workers run ("" = this
	// process's own executable).
	Executable string
	// WatchInterval is how often the streams are checked (a vanished one
	// is re-created) and sampled for events removed unprocessed. Default
	// DefaultWatchInterval; negative turns the background watch off
	// (/readyz still checks).
	WatchInterval time.Duration
	// ClusterWait bounds the wait of an embedded cluster node at start
	// for a JetStream meta leader and the declared streams. Default
	// DefaultClusterWait.
	ClusterWait time.Duration
}

func (c *Config) setDefaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = DefaultWatchInterval
	}
	if c.ClusterWait == 0 {
		c.ClusterWait = DefaultClusterWait
	}
	if c.Env.DockerNetwork == "" {
		c.Env.DockerNetwork = "host"
	}
}

// Validate reports what makes c unusable.
func (c *Config) Validate() error {
	var errs []error
	if c.Mesh == nil {
		errs = append(errs, errors.New("app: the mesh is required"))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("app: shutdown timeout %s: must not be negative", c.ShutdownTimeout))
	}
	if c.Env.HTTPAddr == "" {
		errs = append(errs, errors.New("app: FNMESH_HTTP_ADDR: must not be empty"))
	}
	errs = append(errs, c.clusterErrors()...)
	return errors.Join(errs...)
}
