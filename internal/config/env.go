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
	// NATSTLSCert and NATSTLSKey are PEM files of the embedded server's
	// certificate and key; with both set clients connect with TLS.
	// NATSTLSCA is what workers and the nats context trust (default the
	// certificate, for a self-signed one); the certificate must name the
	// address they dial (127.0.0.1 for local workers).
	// FNMESH_NATS_TLS_CERT, FNMESH_NATS_TLS_KEY, FNMESH_NATS_TLS_CA.
	NATSTLSCert string `envconfig:"FNMESH_NATS_TLS_CERT"`
	NATSTLSKey  string `envconfig:"FNMESH_NATS_TLS_KEY"`
	NATSTLSCA   string `envconfig:"FNMESH_NATS_TLS_CA"`
	// NATSContext names the nats CLI context `up` writes for its embedded
	// server ($XDG_CONFIG_HOME/nats/context/<name>.json, mode 0600), so
	// that `nats --context fnmesh ...` works for the owner. Empty writes
	// none. FNMESH_NATS_CONTEXT, default fnmesh.
	NATSContext string `envconfig:"FNMESH_NATS_CONTEXT" default:"fnmesh"`
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
	// OpsToken is the bearer token required by /status and /metrics; when
	// not set, Token is (when that is set). /livez and /readyz take none.
	// FNMESH_OPS_TOKEN.
	OpsToken string `envconfig:"FNMESH_OPS_TOKEN"`
	// TLSCert and TLSKey are the PEM certificate (with its chain) and key
	// of the HTTP listener; with both set it serves HTTPS only.
	// FNMESH_TLS_CERT, FNMESH_TLS_KEY.
	TLSCert string `envconfig:"FNMESH_TLS_CERT"`
	TLSKey  string `envconfig:"FNMESH_TLS_KEY"`
	// TraceURL links the dashboard's trace ids to a trace UI: {traceId}
	// is replaced by the id (http://localhost:16686/trace/{traceId}).
	// FNMESH_TRACE_URL, default empty: ids are shown plain.
	TraceURL string `envconfig:"FNMESH_TRACE_URL"`
	// ClusterEnv holds the cluster settings of the embedded server.
	ClusterEnv
}

// OperationsToken is the token of the operational endpoints: OpsToken, or
// Token when OpsToken is not set ("" when neither is).
func (e Env) OperationsToken() string {
	if e.OpsToken != "" {
		return e.OpsToken
	}
	return e.Token
}

// LoadEnv reads the FNMESH_* variables.
func LoadEnv() (Env, error) {
	var e Env
	if err := envconfig.Process("", &e); err != nil {
		return e, fmt.Errorf("config: environment: %w", err)
	}
	return e, nil
}
