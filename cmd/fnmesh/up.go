package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	dockerclient "github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/schemas"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/workers"
)

type upFlags struct {
	httpAddr    string
	dataDir     string
	natsPort    int
	noFunctions bool
}

func newUpCmd(g *globals) *cobra.Command {
	var f upFlags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the mesh: broker, triggers and functions from the mesh file",
		Long: `Run the mesh declared in the mesh file: an embedded NATS server with
JetStream (or the cluster at NATS_URL), the HTTP endpoint for CloudEvents,
routes and webhooks, the cron triggers, and the functions as local worker
processes scaled with their backlog. SIGTERM or Ctrl-C drains and stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("http-addr") {
				g.env.HTTPAddr = f.httpAddr
			}
			if cmd.Flags().Changed("data-dir") {
				g.env.DataDir = f.dataDir
			}
			if cmd.Flags().Changed("nats-port") {
				g.env.NATSPort = f.natsPort
			}
			return runUp(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.httpAddr, "http-addr", "", "HTTP listen address (env FNMESH_HTTP_ADDR, default 127.0.0.1:8080)")
	fl.StringVar(&f.dataDir, "data-dir", "", "embedded broker data dir (env FNMESH_DATA_DIR, default ./.fnmesh)")
	fl.IntVar(&f.natsPort, "nats-port", 0, "embedded NATS client port, 0 = random (env FNMESH_NATS_PORT, default 4222)")
	fl.BoolVar(&f.noFunctions, "no-functions", false, "run broker and triggers only; start no function workers")
	return cmd
}

// mesh holds what `up` started, so that shutdown stops it in reverse order.
type mesh struct {
	log      *slog.Logger
	emb      *broker.Embedded
	nc       *nats.Conn
	client   *broker.Client
	natsURL  string
	tel      *telemetry.Telemetry
	replies  *triggers.ReplyWaiter
	draining atomic.Bool
}

// triggers builds the HTTP side and the cron triggers of the mesh with what
// they need from the broker: key-value buckets for webhook de-duplication
// and cron state, a reply waiter when a route answers with a function's
// event, and the event data schemas.
func (ms *mesh) triggers(ctx context.Context, m *config.Mesh, token string) (*triggers.Mux, error) {
	if token != "" {
		m.Ingest.TokenRef = &config.SecretRef{Value: token}
	}
	deps := triggers.MuxDeps{Logger: ms.log, Observer: ms.tel}
	var hooks, crons, replies bool
	for _, t := range m.Triggers {
		hooks = hooks || t.Webhook != nil
		crons = crons || t.Cron != nil
		replies = replies || (t.HTTP != nil && t.HTTP.Reply != nil)
	}
	if hooks {
		kv, err := ms.client.KeyValue(ctx, broker.KVConfig{Bucket: triggers.WebhookBucket, Description: "webhook delivery ids", TTL: triggers.WebhookDedupTTL})
		if err != nil {
			return nil, err
		}
		deps.WebhookIDs = kv
	}
	if crons {
		kv, err := ms.client.KeyValue(ctx, broker.KVConfig{Bucket: triggers.CronBucket, Description: "last cron ticks"})
		if err != nil {
			return nil, err
		}
		deps.CronState = kv
	}
	if replies {
		rw, err := triggers.NewReplyWaiter(ms.nc, m.SubjectPrefix, ms.log)
		if err != nil {
			return nil, err
		}
		ms.replies, deps.Replies = rw, rw
	}
	if len(m.EventSchemas) > 0 {
		files := make(map[string]string, len(m.EventSchemas))
		for _, es := range m.EventSchemas {
			files[es.Type] = m.Resolve(es.Schema)
		}
		reg, err := schemas.NewRegistry(files)
		if err != nil {
			return nil, err
		}
		deps.Validator = reg
	}
	return triggers.NewMux(m, ms.client, deps)
}

func runUp(ctx context.Context, g *globals, f upFlags) error {
	log, err := g.logger()
	if err != nil {
		return err
	}
	stopTimeout, err := g.shutdownTimeout()
	if err != nil {
		return err
	}
	m, err := config.Load(g.env.File)
	if err != nil {
		return err
	}
	tel, err := telemetry.Setup(ctx, "fnmesh")
	if err != nil {
		return err
	}
	ms := &mesh{log: log, tel: tel}
	defer ms.close()
	if err := ms.connect(ctx, g, m); err != nil {
		return err
	}
	// Streams, buckets and every function's consumer, as `fnmesh apply`
	// declares them, before anything reads a consumer.
	if _, err := app.Apply(ctx, ms.client, m); err != nil {
		return err
	}

	mux, err := ms.triggers(ctx, m, g.env.Token)
	if err != nil {
		return err
	}
	var runtimes []closer
	var scalers []*workers.Scaler
	if !f.noFunctions && len(m.Functions) > 0 {
		// Nothing starts yet: replicas come when the scalers run.
		if runtimes, scalers, err = ms.startFunctions(m, stopTimeout); err != nil {
			return err
		}
	}

	// Operational endpoints, served without spans so probes and scrapes do
	// not flood the traces.
	ops := map[string]http.Handler{
		"GET /livez": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }),
		"GET /readyz": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			switch {
			case ms.draining.Load():
				http.Error(w, "draining", http.StatusServiceUnavailable)
			case !ms.client.Connected():
				http.Error(w, "broker unreachable", http.StatusServiceUnavailable)
			default:
				w.WriteHeader(http.StatusOK)
			}
		}),
		"GET /status": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			st := []workers.FunctionStatus{}
			for _, sc := range scalers {
				st = append(st, sc.Status()...)
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"functions": st})
		}),
		"GET /metrics": ms.tel.MetricsHandler,
	}
	untraced := make([]string, 0, len(ops))
	for pattern, h := range ops {
		mux.Handle(pattern, h)
		untraced = append(untraced, pattern)
	}

	ln, err := net.Listen("tcp", g.env.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", g.env.HTTPAddr, err)
	}
	srv := &http.Server{Handler: ms.tel.HTTP(mux, untraced...), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	})
	log.Info("mesh up", "http", "http://"+ln.Addr().String(), "nats", ms.natsURL, "file", g.env.File,
		"triggers", len(m.Triggers), "functions", len(m.Functions))

	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	for _, c := range mux.Crons() {
		wg.Go(func() {
			if err := c.Run(runCtx); err != nil {
				log.Error("cron trigger", "err", err)
			}
		})
	}
	for _, sc := range scalers {
		wg.Go(func() {
			if err := sc.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("scaler", "err", err)
			}
		})
	}

	<-ctx.Done()
	log.Info("shutting down: draining")
	ms.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout+10*time.Second)
	defer cancel()
	var errs []error
	errs = append(errs, srv.Shutdown(sctx))
	cancelRun()
	for _, sc := range scalers {
		errs = append(errs, sc.StopAll(sctx))
	}
	for _, rt := range runtimes {
		errs = append(errs, rt.Close(sctx))
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (ms *mesh) connect(ctx context.Context, g *globals, m *config.Mesh) error {
	if g.conn.URL != "" {
		nc, err := broker.Connect(ctx, g.conn, "fnmesh-up")
		if err != nil {
			return err
		}
		ms.nc, ms.natsURL = nc, g.conn.URL
		for _, s := range m.Streams {
			if s.Sync == "always" {
				ms.log.Warn("stream sync: always applies to the embedded server only; on an external server set sync_interval: always in its JetStream config", "stream", s.Name)
			}
		}
	} else {
		syncAlways := slices.ContainsFunc(m.Streams, func(s config.Stream) bool { return s.Sync == "always" })
		emb, err := broker.StartEmbedded(broker.ServerConfig{
			DataDir: g.env.DataDir, Host: g.env.NATSHost, Port: g.env.NATSPort, SyncAlways: syncAlways,
		}, ms.log)
		if err != nil {
			return err
		}
		ms.emb = emb
		nc, err := emb.Connect("fnmesh-up")
		if err != nil {
			return err
		}
		ms.nc, ms.natsURL = nc, emb.ClientURL()
	}
	c, err := broker.New(ms.nc, m.SubjectPrefix, broker.WithLogger(ms.log),
		broker.WithHooks(broker.PublishHooks{Before: ms.tel.BeforePublish}))
	if err != nil {
		return err
	}
	ms.client = c
	return nil
}

func (ms *mesh) close() {
	if ms.replies != nil {
		ms.replies.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ms.tel.Shutdown(ctx)
	if ms.nc != nil {
		_ = ms.nc.Drain()
	}
	if ms.emb != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ms.emb.Shutdown(ctx); err != nil {
			ms.log.Error("embedded server shutdown", "err", err)
		}
	}
}

type closer interface{ Close(context.Context) error }

// startFunctions builds a runtime and a scaler for the functions of each
// runtime kind the mesh uses: local processes, or Docker containers for
// run.runtime: docker. Kubernetes functions are deployed with
// `fnmesh deploy render` and scaled there (by KEDA or fnmesh's scaler).
func (ms *mesh) startFunctions(m *config.Mesh, stopTimeout time.Duration) ([]closer, []*workers.Scaler, error) {
	byKind := map[string][]config.Function{}
	for _, fn := range m.Functions {
		kind := fn.Run.Runtime
		if kind == "" {
			kind = "process"
		}
		byKind[kind] = append(byKind[kind], fn)
	}
	backlog := workers.NewBrokerBacklog(ms.client, m)
	opts := workers.ScalerOptions{
		Log: ms.log,
		Metrics: func(d workers.Decision) {
			ms.tel.Metrics.SetScale(d.Function, int64(d.Backlog), d.Desired, d.To)
		},
	}
	var rts []closer
	var scs []*workers.Scaler
	if fns := byKind["process"]; len(fns) > 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, nil, fmt.Errorf("locate the fnmesh binary: %w", err)
		}
		rt, err := workers.NewProcessRuntime(workers.ProcessConfig{
			Mesh: m, Self: self, NATSURL: ms.natsURL, Log: ms.log, StopTimeout: stopTimeout + 5*time.Second,
		})
		if err != nil {
			return nil, nil, err
		}
		rts = append(rts, rt)
		scs = append(scs, workers.NewScaler(backlog, rt, fns, opts))
	}
	if fns := byKind["docker"]; len(fns) > 0 {
		cli, err := dockerclient.New(dockerclient.FromEnv, dockerclient.WithAPIVersionNegotiation())
		if err != nil {
			return nil, nil, fmt.Errorf("docker runtime: %w", err)
		}
		network := os.Getenv("FNMESH_DOCKER_NETWORK")
		if network == "" {
			network = "host" // containers reach the embedded server on loopback
		}
		rt, err := workers.NewDockerRuntime(workers.DockerConfig{
			Mesh: m, Client: cli, Network: network, NATSURL: ms.natsURL, MountMesh: true,
			StopTimeout: stopTimeout + 5*time.Second, Log: ms.log,
		})
		if err != nil {
			return nil, nil, err
		}
		rts = append(rts, rt)
		scs = append(scs, workers.NewScaler(backlog, rt, fns, opts))
	}
	if fns := byKind["kubernetes"]; len(fns) > 0 {
		ms.log.Info("kubernetes functions are not run by `fnmesh up`; deploy them with `fnmesh deploy render`", "functions", len(fns))
	}
	return rts, scs, nil
}
