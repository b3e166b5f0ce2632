package workerenv_test

import (
	"fmt"

	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// A local worker keeps the OTEL_* and system variables of its runtime and
// none of its secrets.
func ExampleLocal() {
	up := []string{"PATH=/usr/bin", "FNMESH_TOKEN=s3cret", "OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318", "GITHUB_WEBHOOK_SECRET=x", "LC_ALL=C"}
	fmt.Println(workerenv.Local(up))
	fmt.Println(workerenv.Telemetry(up))
	// Output:
	// [PATH=/usr/bin OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 LC_ALL=C]
	// [OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318]
}
