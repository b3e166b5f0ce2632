package workerenv_test

import (
	"fmt"

	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// A runtime builds a replica's environment from what the worker inherits,
// the function's own env and the contract, which nothing overrides.
func ExampleCompose() {
	env := workerenv.Compose(
		[]string{"HOME=/root", "OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"},
		workerenv.Sorted(map[string]string{"TENANT": "acme", "FNMESH_FUNCTION": "ignored"}),
		workerenv.Env{Function: "fulfil-order", File: "/etc/fnmesh/mesh.yaml", Replica: "fulfil-order-1",
			NATS: workerenv.NATS{URL: "nats://127.0.0.1:4222"}},
	)
	for _, kv := range env {
		fmt.Println(kv)
	}
	// Output:
	// FNMESH_FILE=/etc/fnmesh/mesh.yaml
	// FNMESH_FUNCTION=fulfil-order
	// FNMESH_REPLICA=fulfil-order-1
	// HOME=/root
	// NATS_URL=nats://127.0.0.1:4222
	// OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
	// OTEL_SERVICE_NAME=fulfil-order
	// TENANT=acme
}

// A worker reads the contract from its environment (os.LookupEnv).
func ExampleRead() {
	env := map[string]string{"FNMESH_FUNCTION": "fulfil-order", "NATS_URL": "nats://127.0.0.1:4222"}
	e, err := workerenv.Read(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	fmt.Println(e.Function, e.File, e.NATS.URL, err)
	// Output: fulfil-order mesh.yaml nats://127.0.0.1:4222 <nil>
}
