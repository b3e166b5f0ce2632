//go:build unix

package process_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

func ExampleNew() {
	dir, err := os.MkdirTemp("", "fnmesh-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	rt, err := process.New(process.Config{
		MeshFile: filepath.Join(dir, "mesh.yaml"),
		Functions: []scale.Workload{{Function: "hello",
			// A worker program; it runs until it is told to stop (SIGTERM).
			Command: []string{"/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"}}},
		NATS: workerenv.NATS{URL: "nats://127.0.0.1:4222"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := rt.Scale(ctx, "hello", 2); err != nil {
		fmt.Println(err)
		return
	}
	for {
		reps, _ := rt.List(ctx, "hello")
		if len(reps) == 2 && reps[0].State == scale.ReplicaRunning && reps[1].State == scale.ReplicaRunning {
			fmt.Println(reps[0].ID, reps[1].ID)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Stop drains one replica (SIGTERM, then SIGKILL after StopTimeout).
	if err := rt.Stop(ctx, "hello", "hello-2"); err != nil {
		fmt.Println(err)
	}
	reps, _ := rt.List(ctx, "hello")
	fmt.Println(len(reps), "left")
	fmt.Println(rt.Close(ctx))
	// Output:
	// hello-1 hello-2
	// 1 left
	// <nil>
}
