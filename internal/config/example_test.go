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
	fmt.Println("trigger:", m.Triggers[0].HTTP.Method, m.Triggers[0].HTTP.Path, "source", m.Triggers[0].Emit.Source)
	// Output:
	// fulfil-order reads EVENTS [events.>]
	// trigger: POST /orders source /fnmesh/triggers/orders-api
}

func ExampleParse_errors() {
	_, err := config.Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: fulfil-order
    stream: ORDERS
    run: { command: ["./bin/fulfil-order"] }
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, config.ErrInvalid))
	// Output:
	// mesh.yaml:5:13: functions[0].stream: names no declared stream: "ORDERS"
	// true
}

func ExampleSecretRef_Resolve() {
	secret, err := config.SecretRef{Value: "example-only"}.Resolve()
	fmt.Println(string(secret), err)
	// Output: example-only <nil>
}
