package docker_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/moby/moby/client"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers/docker"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// The Docker runtime runs run.image functions as containers on the local
// engine; the Scaler sizes them by backlog like local processes. (Not run
// as a test: it needs an engine and an image.)
func ExampleNew() {
	m, err := meshmap.Load("mesh.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	rt, err := docker.New(docker.Config{
		Functions:     meshmap.FunctionsOn(m, scale.RuntimeDocker).Workloads,
		Client:        cli,
		Mesh:          m.Metadata.Name,
		Network:       "host", // containers reach the broker on 127.0.0.1
		NATS:          workerenv.NATS{URL: "nats://127.0.0.1:4222"},
		MountMeshFile: m.File, // the mesh file appears at /etc/fnmesh/mesh.yaml
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := rt.Scale(ctx, "fulfil-order", 2); errors.Is(err, docker.ErrImageMissing) {
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
