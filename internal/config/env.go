package config

import (
	"fmt"

	"github.com/kelseyhightower/envconfig"
)

// Env is the configuration of one fnmesh process, read from FNMESH_*
// variables. Precedence: defaults, then the environment, then flags (applied
// by the command line).
type Env struct {
	// File is the mesh file. FNMESH_FILE, default mesh.yaml.
	File string `envconfig:"FNMESH_FILE" default:"mesh.yaml"`
	// DataDir holds the embedded server's store. FNMESH_DATA_DIR, default ./.fnmesh.
	DataDir string `envconfig:"FNMESH_DATA_DIR" default:".fnmesh"`
	// HTTPAddr is where triggers, /events, health and metrics listen.
	// FNMESH_HTTP_ADDR, default 127.0.0.1:8080.
	HTTPAddr string `envconfig:"FNMESH_HTTP_ADDR" default:"127.0.0.1:8080"`
	// NATSHost and NATSPort are the embedded server's client listener.
	// FNMESH_NATS_HOST (default 127.0.0.1), FNMESH_NATS_PORT (default 4222, 0 = random).
	NATSHost string `envconfig:"FNMESH_NATS_HOST" default:"127.0.0.1"`
	NATSPort int    `envconfig:"FNMESH_NATS_PORT" default:"4222"`
	// NATSMonitorAddr is the host:port of the embedded server's HTTP
	// monitoring endpoint (/jsz for KEDA, /varz, ...), 0 as port = random.
	// FNMESH_NATS_MONITOR_ADDR, default empty: no endpoint.
	NATSMonitorAddr string `envconfig:"FNMESH_NATS_MONITOR_ADDR"`
	// Function names the function a worker process serves. FNMESH_FUNCTION.
	Function string `envconfig:"FNMESH_FUNCTION"`
	// LogLevel is debug, info, warn or error. FNMESH_LOG_LEVEL, default info.
	LogLevel string `envconfig:"FNMESH_LOG_LEVEL" default:"info"`
	// LogFormat is text or json. FNMESH_LOG_FORMAT, default text.
	LogFormat string `envconfig:"FNMESH_LOG_FORMAT" default:"text"`
	// ShutdownTimeout bounds the drain on SIGTERM. FNMESH_SHUTDOWN_TIMEOUT, default 30s.
	ShutdownTimeout string `envconfig:"FNMESH_SHUTDOWN_TIMEOUT" default:"30s"`
	// Token is the bearer token required by POST /events when set
	// (overrides ingest.tokenRef). FNMESH_TOKEN.
	Token string `envconfig:"FNMESH_TOKEN"`
	// DockerNetwork is the Docker network that docker-runtime workers join.
	// FNMESH_DOCKER_NETWORK, default host (containers reach the embedded
	// server on loopback).
	DockerNetwork string `envconfig:"FNMESH_DOCKER_NETWORK" default:"host"`
	// ClusterEnv holds the cluster settings of the embedded server.
	ClusterEnv
}

// LoadEnv reads the FNMESH_* variables.
func LoadEnv() (Env, error) {
	var e Env
	if err := envconfig.Process("", &e); err != nil {
		return e, fmt.Errorf("config: environment: %w", err)
	}
	return e, nil
}
