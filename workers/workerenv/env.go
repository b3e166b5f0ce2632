package workerenv

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Names of the worker contract's variables.
const (
	// Function names the function the process serves.
	Function = "FNMESH_FUNCTION"
	// File is the path of the mesh file.
	File = "FNMESH_FILE"
	// Replica identifies the replica in logs (the process runtime's
	// "<fn>-<n>", the container or pod name).
	Replica = "FNMESH_REPLICA"
	// HealthAddr, when set, is where /livez, /readyz and /metrics are served.
	HealthAddr = "FNMESH_HEALTH_ADDR"
	// ShutdownTimeout bounds the drain on SIGTERM (a Go duration).
	ShutdownTimeout = "FNMESH_SHUTDOWN_TIMEOUT"
	// LogLevel is debug, info, warn or error.
	LogLevel = "FNMESH_LOG_LEVEL"
	// LogFormat is text or json.
	LogFormat = "FNMESH_LOG_FORMAT"
	// History, when false, turns off the recording of the run history that
	// the mesh file's history.enabled turns on (a Boolean).
	History = "FNMESH_HISTORY"
	// ServiceName is the OpenTelemetry service name; a runtime sets it to
	// the function's name unless the function's own env does.
	ServiceName = "OTEL_SERVICE_NAME"
)

// Names of the NATS connection variables, as the nats CLI spells them.
const (
	NATSURL      = "NATS_URL"
	NATSUser     = "NATS_USER"
	NATSPassword = "NATS_PASSWORD"
	NATSToken    = "NATS_TOKEN"
	NATSCreds    = "NATS_CREDS"
	NATSNKey     = "NATS_NKEY"
	NATSCA       = "NATS_CA"
	NATSCert     = "NATS_CERT"
	NATSKey      = "NATS_KEY"
	NATSTLSFirst = "NATS_TLS_FIRST"
)

// Defaults Read applies to variables that are not set.
const (
	// DefaultFile is the mesh file in the working directory.
	DefaultFile = "mesh.yaml"
	// DefaultLogLevel and DefaultLogFormat are the SDK's log settings.
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"
)

// ErrInvalid means a variable holds a value that cannot be used; the error
// names the variable.
var ErrInvalid = errors.New("invalid worker environment")

// Env is the contract part of a worker's environment.
type Env struct {
	// Function is FNMESH_FUNCTION.
	Function string
	// File is FNMESH_FILE.
	File string
	// Replica is FNMESH_REPLICA.
	Replica string
	// HealthAddr is FNMESH_HEALTH_ADDR.
	HealthAddr string
	// ShutdownTimeout is FNMESH_SHUTDOWN_TIMEOUT; zero leaves the worker's
	// own default.
	ShutdownTimeout time.Duration
	// LogLevel is FNMESH_LOG_LEVEL.
	LogLevel string
	// LogFormat is FNMESH_LOG_FORMAT.
	LogFormat string
	// NoHistory is FNMESH_HISTORY=false: no run history is recorded.
	NoHistory bool
	// NATS says how to reach the broker.
	NATS NATS
}

// NATS is how a worker reaches the broker.
type NATS struct {
	// URL is a comma-separated list of server URLs (NATS_URL).
	URL string
	// User and Password authenticate with a user/password pair.
	User, Password string
	// Token authenticates with a token.
	Token string
	// Creds is a path to a credentials (JWT + nkey) file.
	Creds string
	// NKey is a path to an nkey seed file.
	NKey string
	// CA, Cert and Key configure TLS: a CA bundle to trust and a client
	// certificate.
	CA, Cert, Key string
	// TLSFirst performs the TLS handshake before the NATS protocol greeting.
	TLSFirst bool
}

// Read reads the contract from lookup (os.LookupEnv). Unset variables take
// the defaults above; FNMESH_SHUTDOWN_TIMEOUT must be a positive duration
// and NATS_TLS_FIRST a Boolean when set.
func Read(lookup func(string) (string, bool)) (Env, error) {
	get := func(name, def string) string {
		if v, ok := lookup(name); ok {
			return v
		}
		return def
	}
	e := Env{
		Function:   get(Function, ""),
		File:       get(File, DefaultFile),
		Replica:    get(Replica, ""),
		HealthAddr: get(HealthAddr, ""),
		LogLevel:   get(LogLevel, DefaultLogLevel),
		LogFormat:  get(LogFormat, DefaultLogFormat),
	}
	var err error
	if e.NATS, err = ReadNATS(lookup); err != nil {
		return e, err
	}
	if v, ok := lookup(ShutdownTimeout); ok && v != "" {
		d, perr := time.ParseDuration(v)
		if perr != nil || d <= 0 {
			return e, fmt.Errorf("%s %q: must be a positive duration such as 30s: %w", ShutdownTimeout, v, ErrInvalid)
		}
		e.ShutdownTimeout = d
	}
	if v, ok := lookup(History); ok && v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return e, fmt.Errorf("%s %q: must be true or false: %w", History, v, ErrInvalid)
		}
		e.NoHistory = !b
	}
	return e, nil
}

// ReadNATS reads the NATS_* variables from lookup.
func ReadNATS(lookup func(string) (string, bool)) (NATS, error) {
	get := func(name string) string { v, _ := lookup(name); return v }
	n := NATS{
		URL: get(NATSURL), User: get(NATSUser), Password: get(NATSPassword), Token: get(NATSToken),
		Creds: get(NATSCreds), NKey: get(NATSNKey), CA: get(NATSCA), Cert: get(NATSCert), Key: get(NATSKey),
	}
	if v := get(NATSTLSFirst); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return n, fmt.Errorf("%s %q: must be true or false: %w", NATSTLSFirst, v, ErrInvalid)
		}
		n.TLSFirst = b
	}
	return n, nil
}

// Vars returns the variables of e that are set, as NAME=VALUE, in the order
// of the constants above.
func (e Env) Vars() []string {
	var out []string
	add := func(name, v string) {
		if v != "" {
			out = append(out, name+"="+v)
		}
	}
	add(Function, e.Function)
	add(File, e.File)
	add(Replica, e.Replica)
	add(HealthAddr, e.HealthAddr)
	if e.ShutdownTimeout > 0 {
		add(ShutdownTimeout, e.ShutdownTimeout.String())
	}
	add(LogLevel, e.LogLevel)
	add(LogFormat, e.LogFormat)
	if e.NoHistory {
		add(History, "false")
	}
	return append(out, e.NATS.Vars()...)
}

// Vars returns the NATS_* variables of n that are set, as NAME=VALUE.
func (n NATS) Vars() []string {
	var out []string
	for _, kv := range [...]struct{ name, v string }{
		{NATSURL, n.URL}, {NATSUser, n.User}, {NATSPassword, n.Password}, {NATSToken, n.Token},
		{NATSCreds, n.Creds}, {NATSNKey, n.NKey}, {NATSCA, n.CA}, {NATSCert, n.Cert}, {NATSKey, n.Key},
	} {
		if kv.v != "" {
			out = append(out, kv.name+"="+kv.v)
		}
	}
	if n.TLSFirst {
		out = append(out, NATSTLSFirst+"=true")
	}
	return out
}
