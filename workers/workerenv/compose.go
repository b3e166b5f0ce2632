package workerenv

import (
	"maps"
	"slices"
	"strings"
)

// Compose builds the environment of one worker replica, one entry per
// name, sorted by name. Later layers win:
//
//  1. inherited: what the worker gets from where it runs (the process
//     runtime passes Local of its environment, the Docker runtime
//     Telemetry of it: never the rest);
//  2. own: what the runtime and the function configure (their env and
//     secrets, as NAME=VALUE), which may set OTEL_SERVICE_NAME and the log
//     settings;
//  3. the contract e (Vars), which nothing overrides.
//
// OTEL_SERVICE_NAME is the function's name unless own sets it: the value
// the runtime itself runs under would put every function under one name.
func Compose(inherited, own []string, e Env) []string {
	vals := map[string]string{}
	set := func(kvs []string) {
		for _, kv := range kvs {
			k, v, _ := strings.Cut(kv, "=")
			vals[k] = v
		}
	}
	set(inherited)
	set(own)
	if !slices.ContainsFunc(own, func(kv string) bool { return strings.HasPrefix(kv, ServiceName+"=") }) && e.Function != "" {
		vals[ServiceName] = e.Function
	}
	set(e.Vars())
	out := make([]string, 0, len(vals))
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		out = append(out, k+"="+vals[k])
	}
	return out
}

// Sorted returns env (a function's env map) as NAME=VALUE, sorted by name.
func Sorted(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
