package app_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

// Apply declares a mesh's streams, buckets and consumers on a running NATS
// server, here an embedded one.
func ExampleApply() {
	dir, err := os.MkdirTemp("", "fnmesh-apply")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	nc, err := srv.Connect("example")
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	m, err := meshmap.Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
triggers:
  - name: hourly
    cron: { schedule: "@hourly" }
    emit: { type: com.example.tick }
functions:
  - name: on-tick
    filters: [ { exact: { type: com.example.tick } } ]
    run: { image: "example/on-tick:1" }
`))
	if err != nil {
		log.Fatal(err)
	}
	c, err := broker.New(nc, meshmap.Broker(m))
	if err != nil {
		log.Fatal(err)
	}
	applied, err := app.Apply(context.Background(), c, m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("streams:", applied.Streams)
	fmt.Println("buckets:", applied.Buckets)
	for _, cons := range applied.Consumers {
		fmt.Println("consumer:", cons.Stream, cons.Consumer, cons.FilterSubjects)
	}
	// Output:
	// streams: [EVENTS DEADLETTER FNMESH_RUNS]
	// buckets: [fnmesh_cron]
	// consumer: EVENTS on-tick [events.com.example.tick]
}
