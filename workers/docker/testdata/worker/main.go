// Command runtime_docker_worker is the worker image of the Docker runtime
// test: it serves the function named by FNMESH_FUNCTION and answers each
// event with a "fnmesh.test.done" event whose data names the input event and
// the replica (FNMESH_REPLICA) that handled it. WORKER_SLEEP (a Go duration)
// makes each event take that long.
package main

import (
	"context"
	"os"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
)

func main() {
	sleep, _ := time.ParseDuration(os.Getenv("WORKER_SLEEP"))
	replica := os.Getenv("FNMESH_REPLICA")
	functions.ServeMain(functions.HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		out := event.New()
		out.SetType("fnmesh.test.done")
		out.SetSource("/fnmesh/test/docker")
		out.SetID(e.ID() + "-done")
		if err := out.SetData(event.ApplicationJSON, map[string]string{"id": e.ID(), "replica": replica}); err != nil {
			return nil, err
		}
		return []event.Event{out}, nil
	}))
}
