package docker

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/scale/runtimetest"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// drainerDockerfile is the suite's drainer alone in an image.
const drainerDockerfile = "FROM scratch\nCOPY worker /drainer\nENTRYPOINT [\"/drainer\"]\n"

// TestConformance runs the runtime suite with the suite's drainer in a
// FROM scratch image on the local engine; the drainers mark their files in
// a host directory mounted at /out.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image and runs containers")
	}
	cli := dockerEngine(t)
	tag := "fnmesh-test-drainer:" + randomHex(t)
	buildImage(t, cli, tag, []byte(drainerDockerfile), runtimetest.BuildDrainer(t, "CGO_ENABLED=0", "GOOS=linux"))
	var out string // the drainers' directory of the current test
	runtimetest.Run(t, runtimetest.Harness{
		Function: "drain",
		New: func(t *testing.T) scale.Runtime {
			out = t.TempDir()
			if err := os.Chmod(out, 0o777); err != nil { // any user of the image may write
				t.Fatal(err)
			}
			mesh := "conformance-" + randomHex(t)
			rt, err := New(Config{
				Functions: []scale.Workload{{Function: "drain", Image: tag, Env: map[string]string{"OUT": "/out"}}},
				Client:    cli, Mesh: mesh, NATS: workerenv.NATS{URL: "nats://127.0.0.1:1"},
				Binds: []string{out + ":/out"}, StopTimeout: 20 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := rt.Close(ctx); err != nil {
					t.Errorf("Close: %v", err)
				}
				removeMeshContainers(t, cli, mesh)
			})
			return rt
		},
		Ready:   func(_ *testing.T, id string) bool { return runtimetest.Marked(out, id, "ready") },
		Drained: func(_ *testing.T, id string) bool { return runtimetest.Marked(out, id, "drained") },
		Timeout: time.Minute,
	})
}
