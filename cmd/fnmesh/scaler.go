package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/kubescaler"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/workers/kube"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// livenessTolerance is how long past the Lease's expiry a leader that has
// not renewed it still passes /livez.
const livenessTolerance = 20 * time.Second

func newScalerCmd(g *globals) *cobra.Command {
	var cfg kubescaler.Config
	var kubeconfig string
	cmd := &cobra.Command{
		Use:   "scaler",
		Short: "Scale the functions' Kubernetes Deployments by their backlog (in the cluster, leader-elected)",
		Long: `Run fnmesh's scaler in a Kubernetes cluster: it reads each function's
backlog from its durable consumer (NATS_URL) and sets spec.replicas of the
function's Deployment (fnmesh-<function>, from ` + "`fnmesh deploy render`" + `) with the
same decisions as the scaler of ` + "`fnmesh up`" + `. Several scaler pods may run: a
Lease elects the one that scales. SIGTERM releases the Lease and leaves
every replica count as it is.

Health and status are served on FNMESH_HTTP_ADDR: /livez, /readyz, /status
(while leading) and /metrics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScaler(cmd, g, cfg, kubeconfig)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Namespace, "namespace", envOr("POD_NAMESPACE", "default"), "namespace of the Deployments and the Lease (env POD_NAMESPACE)")
	f.StringVar(&cfg.LeaseName, "lease", kubescaler.DefaultLeaseName, "name of the coordination.k8s.io Lease")
	f.StringVar(&cfg.Identity, "identity", envOr("POD_NAME", hostname()), "this scaler's name in the Lease (env POD_NAME, default the host name)")
	f.DurationVar(&cfg.LeaseDuration, "lease-duration", kubescaler.DefaultLeaseDuration, "how long the Lease is valid after a renewal")
	f.DurationVar(&cfg.RenewDeadline, "renew-deadline", kubescaler.DefaultRenewDeadline, "how long the leader tries to renew before it stops scaling")
	f.DurationVar(&cfg.RetryPeriod, "retry-period", kubescaler.DefaultRetryPeriod, "how often the Lease is tried")
	f.StringVar(&kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file, when not running in a cluster (env KUBECONFIG)")
	return cmd
}

func runScaler(cmd *cobra.Command, g *globals, cfg kubescaler.Config, kubeconfig string) error {
	ctx := cmd.Context()
	log, err := g.logger()
	if err != nil {
		return err
	}
	var rc *kube.RESTConfig
	if kubeconfig != "" {
		rc, err = kube.LoadKubeconfig(kubeconfig)
	} else {
		rc, err = kube.InClusterConfig()
	}
	if err != nil {
		return fmt.Errorf("scaler: kubernetes client: %w", err)
	}
	cs, err := kube.NewREST(rc)
	if err != nil {
		return fmt.Errorf("scaler: kubernetes client: %w", err)
	}
	tel, err := telemetry.Setup(ctx, "fnmesh-scaler")
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	c, m, closeFn, err := connectMesh(cmd, g)
	if err != nil {
		return err
	}
	defer closeFn()
	// In the cluster every function of the mesh runs as a Deployment.
	fns := meshmap.FunctionsOn(m, "")
	for i := range fns.Workloads {
		fns.Workloads[i].Runtime = scale.RuntimeKubernetes
	}
	backlog, err := scale.NewBrokerBacklog(c, fns.Consumers)
	if err != nil {
		return err
	}
	backlog.WakeOn(c.Conn()) // a Deployment at zero is scaled at its first event
	cfg.Cluster, cfg.Functions, cfg.Workloads, cfg.Log, cfg.Backlog = cs, fns.Scaler.Functions, fns.Workloads, log, backlog
	cfg.Metrics = func(d scale.Decision) { tel.Metrics.SetScale(d.Function, int64(d.Backlog), d.Desired, d.To) }
	s, err := kubescaler.New(cfg)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.Check(livenessTolerance); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !c.Connected() {
			http.Error(w, "broker unreachable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"leader": s.Leader(), "leading": s.Leading(), "functions": s.Status(),
		})
	})
	mux.Handle("GET /metrics", tel.MetricsHandler)
	ln, err := net.Listen("tcp", g.env.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", g.env.HTTPAddr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	})
	log.Info("scaler up", "http", "http://"+ln.Addr().String(), "namespace", cfg.Namespace,
		"lease", cfg.LeaseName, "identity", cfg.Identity, "functions", len(m.Functions))
	runErr := s.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(runErr, srv.Shutdown(sctx))
	wg.Wait()
	return err
}

// hostname is the host name, "" when it cannot be read.
func hostname() string {
	h, _ := os.Hostname()
	return h
}
