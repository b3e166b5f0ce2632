package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/app/meshmap/meshmaptest"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

func TestDockerContainerEnv(t *testing.T) {
	cli, err := client.New()
	if err != nil {
		t.Fatal(err)
	}
	fn := scale.Workload{
		Function: "fulfil-order", Image: "shop/fulfil:1",
		Env: map[string]string{"B": "fn", "FNMESH_FUNCTION": "overridden", "C": "x=y"},
	}
	rt, err := New(Config{Functions: []scale.Workload{fn}, Client: cli, NATS: workerenv.NATS{URL: "nats://fnmesh:4222"}, Env: []string{"A=cfg", "B=cfg"}})
	if err != nil {
		t.Fatal(err)
	}
	rt.environ = func() []string {
		return []string{"PATH=/usr/bin", "OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318", "OTEL_TRACES_SAMPLER=always_on", "HOME=/root"}
	}
	got := rt.containerEnv(fn, "fnmesh-default-fulfil-order-3")
	want := []string{
		"A=cfg",
		"B=fn",
		"C=x=y",
		"FNMESH_FILE=/etc/fnmesh/mesh.yaml",
		"FNMESH_FUNCTION=fulfil-order",
		"FNMESH_REPLICA=fnmesh-default-fulfil-order-3",
		"NATS_URL=nats://fnmesh:4222",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318",
		"OTEL_SERVICE_NAME=fulfil-order",
		"OTEL_TRACES_SAMPLER=always_on",
	}
	if !slices.Equal(got, want) {
		t.Errorf("env:\n got %q\nwant %q", got, want)
	}
	fn.Env["OTEL_SERVICE_NAME"] = "orders"
	if got := rt.containerEnv(fn, "r"); !slices.Contains(got, "OTEL_SERVICE_NAME=orders") {
		t.Errorf("function env does not set OTEL_SERVICE_NAME: %q", got)
	}
}

func TestDockerNamesAndStates(t *testing.T) {
	if got := ContainerName("my shop/β", "fulfil_order", 7); got != "fnmesh-my-shop---fulfil_order-7" {
		t.Errorf("ContainerName = %q", got)
	}
	tests := []struct {
		in   container.ContainerState
		want string
	}{
		{container.StateCreated, scale.ReplicaStarting},
		{container.StateRunning, scale.ReplicaRunning},
		{container.StatePaused, scale.ReplicaRunning},
		{container.StateRestarting, scale.ReplicaBackoff},
		{container.StateRemoving, scale.ReplicaStopping},
		{container.StateExited, ""},
		{container.StateDead, ""},
	}
	for _, tt := range tests {
		if got := dockerState(tt.in); got != tt.want {
			t.Errorf("dockerState(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	cli, err := client.New()
	if err != nil {
		t.Fatal(err)
	}
	nats := workerenv.NATS{URL: "nats://x:4222"}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"function without a name", Config{Client: cli, NATS: nats, Functions: []scale.Workload{{Image: "x:1"}}}, "Functions[0].Function: required"},
		{"no client", Config{NATS: nats}, "Client is nil"},
		{"no nats url", Config{Client: cli}, "NATS.URL is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// dockerEngine returns a client of the local engine, or skips the test
// loudly when there is none.
func dockerEngine(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Skipf("DOCKER ENGINE NOT REACHABLE: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		t.Skipf("DOCKER ENGINE NOT REACHABLE: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// buildWorkerImage compiles testdata/worker statically and builds the
// worker image of deploy/ (as users build it) around it, removed when the
// test ends.
func buildWorkerImage(t *testing.T, cli *client.Client, tag string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "worker")
	build := exec.CommandContext(t.Context(), "go", "build", "-ldflags=-s -w", "-o", bin, "./testdata/worker")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build worker: %v\n%s", err, out)
	}
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "deploy", "worker.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	buildImage(t, cli, tag, dockerfile, bin)
}

// buildImage builds image tag from dockerfile with the program bin as the
// file "worker" of the context (no registry: FROM scratch around a host
// binary), and removes it when the test ends.
func buildImage(t *testing.T, cli *client.Client, tag string, dockerfile []byte, bin string) {
	t.Helper()
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, dockerfile},
		{"worker", 0o755, exe},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	binaryArg := "worker"
	res, err := cli.ImageBuild(t.Context(), &buf, client.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true,
		BuildArgs: map[string]*string{"BINARY": &binaryArg}})
	if err != nil {
		t.Fatalf("image build: %v", err)
	}
	out, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("image build: %v", err)
	}
	if bytes.Contains(out, []byte(`"error"`)) {
		t.Fatalf("image build failed: %s", out)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Logf("remove image %s: %v", tag, err)
		}
	})
}

// removeMeshContainers removes whatever containers of mesh are left.
func removeMeshContainers(t *testing.T, cli *client.Client, mesh string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelMesh+"="+mesh)})
	if err != nil {
		t.Logf("list leftover containers: %v", err)
		return
	}
	for _, c := range res.Items {
		t.Errorf("container %v of mesh %s left behind", c.Names, mesh)
		_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

const dockerTestMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: %[1]s }
streams:
  - name: EVENTS
    subjects: ["events.>"]
functions:
  - name: work
    filters:
      - exact: { type: fnmesh.test.work }
    run: { image: %[2]s }
    concurrency: 2
    env: { WORKER_SLEEP: 100ms, FNMESH_SHUTDOWN_TIMEOUT: 5s }
    scaling: { minReplicaCount: 0, maxReplicaCount: 3, lagThreshold: 5, pollingInterval: 200ms, cooldownPeriod: 1s }
  - name: absent
    run: { image: "fnmesh-test-absent:nope" }
  - name: local
    run: { command: ["./worker"] }
`

// TestDockerRuntime runs a worker image on the local engine: containers
// follow Scale and Stop, then the Scaler brings them up with a backlog,
// every event is handled, and they go once the backlog is gone.
func TestDockerRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image and runs containers")
	}
	cli := dockerEngine(t)
	suffix := randomHex(t)
	tag := "fnmesh-test-worker:" + suffix
	meshName := "dockertest-" + suffix
	buildWorkerImage(t, cli, tag)

	dir := t.TempDir()
	meshPath := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(meshPath, fmt.Appendf(nil, dockerTestMesh, meshName, tag), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(meshPath)
	if err != nil {
		t.Fatal(err)
	}
	// The broker requires credentials, as `fnmesh up`'s does: the workers
	// get them through the contract and nothing else of this process's
	// environment, whose secrets are set here to be looked for.
	srv := brokertest.SecureServer(t, "")
	creds, _ := srv.Credentials()
	bc := meshmaptest.Client(t, srv, m)
	leaks := map[string]string{
		"FNMESH_TOKEN": "ingest-token-value", "GITHUB_WEBHOOK_SECRET": "webhook-secret-value",
		"ORDERS_ROUTE_TOKEN": "route-token-value", "AWS_SECRET_ACCESS_KEY": "cloud-key-value",
	}
	for k, v := range leaks {
		t.Setenv(k, v)
	}
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")

	logs := &logtest.Buffer{}
	var workloads []scale.Workload
	for i := range m.Functions {
		workloads = append(workloads, meshmap.Workload(&m.Functions[i]))
	}
	workloads[0].SecretEnv = map[string]string{"STRIPE_KEY": "stripe-secret"}
	rt, err := New(Config{
		Functions: workloads, Client: cli, Mesh: meshName, Network: "host",
		NATS:          workerenv.NATS{URL: srv.ClientURL(), User: creds.User, Password: creds.Password},
		MountMeshFile: m.File, StopTimeout: 10 * time.Second,
		Env: []string{"FNMESH_LOG_LEVEL=debug"},
	}, scale.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		removeMeshContainers(t, cli, meshName)
	})

	t.Run("errors", func(t *testing.T) {
		ctx := t.Context()
		if err := rt.Scale(ctx, "absent", 1); !errors.Is(err, ErrImageMissing) || !errors.Is(err, scale.ErrNotRunnable) {
			t.Errorf("Scale(absent) err = %v, want ErrImageMissing and ErrNotRunnable", err)
		} else if !strings.Contains(err.Error(), "fnmesh-test-absent:nope") {
			t.Errorf("Scale(absent) err = %q does not name the image", err)
		}
		if err := rt.Scale(ctx, "local", 1); !errors.Is(err, scale.ErrNotRunnable) || !strings.Contains(err.Error(), "run.image") {
			t.Errorf("Scale(local) err = %v, want ErrNotRunnable naming run.image", err)
		}
		if err := rt.Check(ctx, "absent"); !errors.Is(err, ErrImageMissing) || !strings.Contains(err.Error(), "run.image") {
			t.Errorf("Check(absent) = %v, want ErrImageMissing naming run.image", err)
		}
		if err := rt.Check(ctx, "local"); !errors.Is(err, scale.ErrNotRunnable) {
			t.Errorf("Check(local) = %v, want ErrNotRunnable", err)
		}
		if err := rt.Check(ctx, "work"); err != nil {
			t.Errorf("Check(work) = %v, want nil: its image is built", err)
		}
		if err := rt.Scale(ctx, "nope", 1); !errors.Is(err, scale.ErrUnknownFunction) {
			t.Errorf("Scale(nope) err = %v, want ErrUnknownFunction", err)
		}
		if err := rt.Stop(ctx, "work", "fnmesh-nope-1"); !errors.Is(err, scale.ErrNoReplica) {
			t.Errorf("Stop(missing) err = %v, want ErrNoReplica", err)
		}
		if reps, err := rt.List(ctx, "absent"); err != nil || len(reps) != 0 {
			t.Errorf("List(absent) = %v, %v; want none", reps, err)
		}
	})

	t.Run("scale and stop", func(t *testing.T) {
		ctx := t.Context()
		if err := rt.Scale(ctx, "work", 2); err != nil {
			t.Fatal(err)
		}
		reps := waitReplicas(t, rt, "work", func(rs []scale.Replica) bool { return len(rs) == 2 && active(rs) == 2 })
		first, second := reps[0].ID, reps[1].ID
		if want := ContainerName(meshName, "work", 1); first != want {
			t.Errorf("first replica = %q, want %q", first, want)
		}
		ins, err := cli.ContainerInspect(ctx, second, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		env := ins.Container.Config.Env
		for _, kv := range []string{"FNMESH_FUNCTION=work", "FNMESH_REPLICA=" + second, "NATS_URL=" + srv.ClientURL(),
			"FNMESH_FILE=" + DefaultMeshFile, "OTEL_SERVICE_NAME=work", "WORKER_SLEEP=100ms", "FNMESH_LOG_LEVEL=debug"} {
			if !slices.Contains(env, kv) {
				t.Errorf("container env lacks %s: %q", kv, env)
			}
		}
		// Exactly the contract, OTEL_*, the function's env and secrets.
		wantEnv := []string{
			"FNMESH_FILE=" + DefaultMeshFile, "FNMESH_FUNCTION=work", "FNMESH_LOG_LEVEL=debug", "FNMESH_REPLICA=" + second,
			"FNMESH_SHUTDOWN_TIMEOUT=5s", "NATS_PASSWORD=" + creds.Password, "NATS_URL=" + srv.ClientURL(), "NATS_USER=" + creds.User,
			"OTEL_SERVICE_NAME=work", "OTEL_TRACES_SAMPLER=always_off", "STRIPE_KEY=stripe-secret", "WORKER_SLEEP=100ms",
		}
		// The engine adds its default PATH to an image without one.
		own := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
			return strings.HasPrefix(kv, "PATH=") && kv != "PATH="+os.Getenv("PATH")
		})
		if got := slices.Sorted(slices.Values(own)); !slices.Equal(got, wantEnv) {
			t.Errorf("container Config.Env:\n got %q\nwant %q", got, wantEnv)
		}
		for name, secret := range leaks {
			if slices.ContainsFunc(env, func(kv string) bool { return strings.Contains(kv, secret) }) {
				t.Errorf("%s of the runtime's environment reached the container", name)
			}
		}
		if l := ins.Container.Config.Labels; l[LabelFunction] != "work" || l[LabelMesh] != meshName || l[LabelReplica] != "2" {
			t.Errorf("labels = %v", l)
		}

		// Scaling down stops the newest replica.
		if err := rt.Scale(ctx, "work", 1); err != nil {
			t.Fatal(err)
		}
		reps, err = rt.List(ctx, "work")
		if err != nil {
			t.Fatal(err)
		}
		if n := active(reps); n != 1 {
			t.Errorf("after Scale(1): %d active replicas: %+v", n, reps)
		}
		for _, r := range reps {
			if r.ID == second && r.State != scale.ReplicaStopping {
				t.Errorf("newest replica %s is %s, want stopping", second, r.State)
			}
		}
		reps = waitReplicas(t, rt, "work", func(rs []scale.Replica) bool { return len(rs) == 1 })
		if reps[0].ID != first {
			t.Errorf("kept %s, want the oldest %s", reps[0].ID, first)
		}

		// What the container writes reaches the runtime's log with the
		// function and the replica.
		poll.Until(t, 20*time.Second, "the container's output in the runtime's log", func() bool {
			return slices.ContainsFunc(logs.Records(t), func(r map[string]any) bool {
				return r["function"] == "work" && r["replica"] == first && r["output"] == "stderr"
			})
		})

		// The running worker has its consumer: it is healthy enough to
		// have connected and drains quickly on SIGTERM.
		if err := rt.Stop(ctx, "work", first); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if reps, err := rt.List(ctx, "work"); err != nil || len(reps) != 0 {
			t.Errorf("after Stop: List = %+v, %v", reps, err)
		}
	})

	t.Run("scaler", func(t *testing.T) {
		ctx := t.Context()
		done := map[string]string{} // input id -> replica
		var mu sync.Mutex
		sub, err := bc.Conn().Subscribe("events.fnmesh.test.done", func(msg *nats.Msg) {
			e, err := broker.DecodeMsg(msg.Header, msg.Data)
			if err != nil {
				t.Errorf("done event: %v", err)
				return
			}
			var d struct{ ID, Replica string }
			if err := json.Unmarshal(e.Data(), &d); err != nil {
				t.Errorf("done event data: %v", err)
				return
			}
			mu.Lock()
			done[d.ID] = d.Replica
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()

		const events = 40
		for i := range events {
			e := event.New()
			e.SetID(fmt.Sprintf("w-%02d", i))
			e.SetType("fnmesh.test.work")
			e.SetSource("/fnmesh/test")
			if _, err := bc.Publish(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}

		fn, _ := m.Function("work")
		backlog, err := scale.NewBrokerBacklog(bc, []workers.Config{meshmap.Worker(m, fn)})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scale.New(backlog, rt, scale.Config{Functions: []scale.Function{{Name: fn.Name, Params: meshmap.Params(fn)}}},
			scale.WithLogger(dockerTestLog(t)))
		if err != nil {
			t.Fatal(err)
		}
		sctx, stop := context.WithCancel(ctx)
		scalerDone := make(chan error, 1)
		go func() { scalerDone <- sc.Run(sctx) }()

		maxSeen, sawZeroAgain := 0, false
		deadline := time.After(60 * time.Second)
		sample := time.NewTicker(50 * time.Millisecond)
		defer sample.Stop()
	watch:
		for {
			reps, err := rt.List(ctx, "work")
			if err != nil {
				t.Fatal(err)
			}
			maxSeen = max(maxSeen, active(reps))
			mu.Lock()
			n := len(done)
			mu.Unlock()
			if n == events && len(reps) == 0 {
				sawZeroAgain = true
				break
			}
			select {
			case <-sample.C:
			case <-deadline:
				break watch
			}
		}
		stop()
		<-scalerDone
		mu.Lock()
		defer mu.Unlock()
		if len(done) != events {
			t.Errorf("%d of %d events handled", len(done), events)
		}
		// 40 events at a lag threshold of 5 ask for 8 replicas, capped at 3.
		if maxSeen != 3 {
			t.Errorf("at most %d replicas at once, want maxReplicaCount 3", maxSeen)
		}
		if !sawZeroAgain {
			t.Errorf("replicas did not go back to zero once the backlog was gone: status %+v", sc.Status())
		}
		replicas := map[string]bool{}
		for _, r := range done {
			replicas[r] = true
		}
		t.Logf("events handled by %d replicas: %v", len(replicas), replicas)
	})
}

// dockerTestLog writes the scaler's decisions to the test log.
func dockerTestLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(dockerLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type dockerLogWriter struct{ t *testing.T }

func (w dockerLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// waitReplicas polls List until ok holds (15s at most) and returns the
// replicas.
func waitReplicas(t *testing.T, rt scale.Runtime, fn string, ok func([]scale.Replica) bool) []scale.Replica {
	t.Helper()
	var reps []scale.Replica
	poll.Until(t, 15*time.Second, "the replicas of "+fn, func() bool {
		var err error
		if reps, err = rt.List(t.Context(), fn); err != nil {
			t.Fatal(err)
		}
		return ok(reps)
	})
	return reps
}

// active counts the replicas that are not stopping.
func active(rs []scale.Replica) int {
	n := 0
	for _, r := range rs {
		if r.State != scale.ReplicaStopping {
			n++
		}
	}
	return n
}
