package workers_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/moby/moby/client"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
)

// The Docker runtime runs run.image functions as containers on the local
// engine; the Scaler sizes them by backlog like local processes. (Not run
// as a test: it needs an engine and an image.)
func ExampleNewDockerRuntime() {
	m, err := config.Load("mesh.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	rt, err := workers.NewDockerRuntime(workers.DockerConfig{
		Mesh:      m,
		Client:    cli,
		Network:   "host", // containers reach the broker on 127.0.0.1
		NATSURL:   "nats://127.0.0.1:4222",
		MountMesh: true, // the mesh file appears at /etc/fnmesh/mesh.yaml
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := rt.Scale(ctx, "fulfil-order", 2); errors.Is(err, workers.ErrImageMissing) {
		log.Fatal("build the image first: ", err)
	} else if err != nil {
		log.Fatal(err)
	}
	// ... and on the way out, stop and remove every container of the mesh.
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := rt.Close(cctx); err != nil {
		log.Print(err)
	}
}
