package meshmap_test

import (
	"errors"
	"fmt"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

// Parse reads a mesh file with the components' defaults applied: the
// function shows the settings its workers run with.
func ExampleParse() {
	m, err := meshmap.Parse("mesh.yaml", []byte(`
apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: fulfil-order
    filters:
      - exact: { type: com.example.order.created }
    run: { command: ["./bin/fulfil-order"] }
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fn, _ := m.Function("fulfil-order")
	fmt.Println("retry:", *fn.Delivery.Retry, "timeout:", fn.Timeout, "max replicas:", fn.Scaling.MaxReplicaCount)
	w := meshmap.Worker(m, fn)
	fmt.Println(w.Function, "reads", w.Stream, "filters", len(w.Filters))
	// Output:
	// retry: 3 timeout: 30s max replicas: 10
	// fulfil-order reads EVENTS filters 1
}

// The components' rules are reported like the mesh file's own, at their
// line and column.
func ExampleParse_errors() {
	_, err := meshmap.Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: fulfil-order
    run: { command: ["./bin/fulfil-order"] }
    delivery:
      backoffPolicy: fibonacci
      retry: 500
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, config.ErrInvalid))
	// Output:
	// mesh.yaml:7:22: functions[0].delivery.backoffPolicy: must be one of exponential, linear
	// mesh.yaml:8:14: functions[0].delivery.retry: must be between 0 and 100
	// true
}
