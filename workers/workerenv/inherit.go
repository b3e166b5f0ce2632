package workerenv

import "strings"

// Telemetry returns the OTEL_* variables of environ (NAME=VALUE entries, as
// os.Environ returns them): what a worker inherits from the runtime that
// starts it, besides its own env, its secrets and the contract.
func Telemetry(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if strings.HasPrefix(kv, "OTEL_") {
			out = append(out, kv)
		}
	}
	return out
}

// Local returns what a worker running as a local process inherits from
// environ: the OTEL_* variables and the few a program needs to run on the
// machine (IsSystem), none of which holds a secret. Everything else of
// the runtime's environment (FNMESH_TOKEN, webhook secrets, route tokens,
// cloud credentials) stays with it.
func Local(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OTEL_") || IsSystem(name) {
			out = append(out, kv)
		}
	}
	return out
}

// IsSystem reports whether name is a variable of the machine a local
// worker process keeps: where programs are (PATH), the user and home
// (HOME, USER, LOGNAME, SHELL), the temporary directory (TMPDIR), the time
// zone (TZ), the locale (LANG, LANGUAGE, LC_*) and the trusted CA
// certificates (SSL_CERT_FILE, SSL_CERT_DIR).
func IsSystem(name string) bool {
	switch name {
	case "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TZ", "LANG", "LANGUAGE", "SSL_CERT_FILE", "SSL_CERT_DIR":
		return true
	}
	return strings.HasPrefix(name, "LC_")
}
