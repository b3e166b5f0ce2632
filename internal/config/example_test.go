package config_test

import (
	"errors"
	"fmt"

	"github.com/fnmesh/fnmesh/internal/config"
)

func ExampleParse() {
	m, err := config.Parse("mesh.yaml", []byte(`
apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
triggers:
  - name: orders-api
    http: { path: /orders }
    emit: { type: com.example.order.created }
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
	fmt.Println(fn.Name, "reads", m.StreamFor(fn).Name, m.StreamFor(fn).Subjects)
	fmt.Println("retry:", *fn.Delivery.Retry, "timeout:", fn.Timeout)
	fmt.Println("trigger:", m.Triggers[0].HTTP.Method, m.Triggers[0].HTTP.Path, "source", m.Triggers[0].Emit.Source)
	// Output:
	// fulfil-order reads EVENTS [events.>]
	// retry: 3 timeout: 30s
	// trigger: POST /orders source /fnmesh/triggers/orders-api
}

func ExampleParse_errors() {
	_, err := config.Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
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

func ExampleSecretRef_Resolve() {
	secret, err := config.SecretRef{Value: "example-only"}.Resolve()
	fmt.Println(string(secret), err)
	// Output: example-only <nil>
}
