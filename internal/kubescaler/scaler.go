package kubescaler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/workers/kube"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// Defaults of Config, those of Kubernetes' own controllers.
const (
	DefaultLeaseName     = "fnmesh-scaler"
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// Config configures a Scaler.
type Config struct {
	// Cluster talks to the cluster (kube.NewREST, or kubetest's adapter of
	// a client-go clientset). Required.
	Cluster kube.Cluster
	// Namespace holds the functions' Deployments and the Lease. Default
	// "default".
	Namespace string
	// Functions are the functions to scale (scale.Config.Functions: names
	// and scaling settings). Required.
	Functions []scale.Function
	// Workloads are the same functions as the Kubernetes runtime knows
	// them (only the names are used). Required.
	Workloads []scale.Workload
	// Backlog reads the functions' backlogs (scale.NewBrokerBacklog,
	// which also creates missing consumers). Required.
	Backlog scale.BacklogSource
	// LeaseName names the coordination.k8s.io Lease. Default
	// DefaultLeaseName.
	LeaseName string
	// Identity is this scaler's name in the Lease (the pod name). Required.
	Identity string
	// LeaseDuration is how long a Lease is valid after its last renewal;
	// a waiting scaler takes over only after it. Default
	// DefaultLeaseDuration.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader retries renewing before it
	// stops scaling; shorter than LeaseDuration. Default
	// DefaultRenewDeadline.
	RenewDeadline time.Duration
	// RetryPeriod is how often the Lease is tried. Default
	// DefaultRetryPeriod.
	RetryPeriod time.Duration
	// Log receives the scaler's events. Nil discards.
	Log *slog.Logger
	// Metrics, when set, is called with every decision of the leader.
	Metrics func(scale.Decision)
}

// validate applies the defaults and checks the rest.
func (c *Config) validate() error {
	c.Namespace = cmp.Or(c.Namespace, "default")
	c.LeaseName = cmp.Or(c.LeaseName, DefaultLeaseName)
	c.LeaseDuration = cmp.Or(c.LeaseDuration, DefaultLeaseDuration)
	c.RenewDeadline = cmp.Or(c.RenewDeadline, DefaultRenewDeadline)
	c.RetryPeriod = cmp.Or(c.RetryPeriod, DefaultRetryPeriod)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if c.Cluster == nil {
		errs = append(errs, errors.New("kubescaler: Cluster: required"))
	}
	if len(c.Functions) == 0 || len(c.Workloads) == 0 {
		errs = append(errs, errors.New("kubescaler: Functions and Workloads: required"))
	}
	if c.Backlog == nil {
		errs = append(errs, errors.New("kubescaler: Backlog: required"))
	}
	if c.Identity == "" {
		errs = append(errs, errors.New("kubescaler: Identity: required (the pod name)"))
	}
	if c.LeaseDuration <= c.RenewDeadline {
		errs = append(errs, fmt.Errorf("kubescaler: LeaseDuration %s: must be longer than RenewDeadline %s", c.LeaseDuration, c.RenewDeadline))
	}
	if float64(c.RenewDeadline) <= JitterFactor*float64(c.RetryPeriod) {
		errs = append(errs, fmt.Errorf("kubescaler: RenewDeadline %s: must be longer than %.1f x RetryPeriod %s", c.RenewDeadline, JitterFactor, c.RetryPeriod))
	}
	if c.RetryPeriod < 0 || c.RenewDeadline < 0 {
		errs = append(errs, errors.New("kubescaler: RenewDeadline and RetryPeriod: must be positive"))
	}
	return errors.Join(errs...)
}

// Scaler is the in-cluster scaler: while it holds the Lease it runs a
// scale.Scaler over the Kubernetes runtime.
type Scaler struct {
	cfg Config
	rt  *kube.Runtime
	el  *elector

	mu      sync.Mutex
	current *scale.Scaler // while leading
}

// New checks cfg and returns a Scaler. It does not contact the cluster.
func New(cfg Config) (*Scaler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rt, err := kube.New(kube.Config{API: cfg.Cluster, Namespace: cfg.Namespace, Functions: cfg.Workloads}, scale.WithLogger(cfg.Log))
	if err != nil {
		return nil, fmt.Errorf("kubescaler: %w", err)
	}
	el := &elector{
		api: cfg.Cluster, ns: cfg.Namespace, name: cfg.LeaseName, id: cfg.Identity,
		duration: cfg.LeaseDuration, renew: cfg.RenewDeadline, wait: cfg.RetryPeriod,
		log: cfg.Log, now: time.Now,
	}
	return &Scaler{cfg: cfg, rt: rt, el: el}, nil
}

// Run campaigns for the Lease until ctx ends and scales while it holds it.
// On the way out it releases the Lease, so another scaler takes over at
// once; it leaves every replica count as it is. Run returns nil when ctx
// ends.
func (s *Scaler) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		// run returns once the Lease is lost (or ctx ended) and the
		// scaling it started has stopped, so that a new campaign never
		// overlaps an old leader's polls.
		s.el.run(ctx, s.lead)
	}
	return nil
}

// lead scales the mesh's functions until ctx ends (the Lease is lost or
// the scaler stops).
func (s *Scaler) lead(ctx context.Context) {
	sc, err := scale.New(s.cfg.Backlog, s.rt, scale.Config{Functions: s.cfg.Functions, Metrics: s.cfg.Metrics}, scale.WithLogger(s.cfg.Log))
	if err != nil {
		s.cfg.Log.Error("kubescaler: scaler", "err", err)
		return
	}
	s.mu.Lock()
	s.current = sc
	s.mu.Unlock()
	s.cfg.Log.Info("kubescaler: leading; scaling the functions", "identity", s.cfg.Identity, "functions", len(s.cfg.Functions))
	if err := sc.Run(ctx); err != nil {
		s.cfg.Log.Error("kubescaler: scaler", "err", err)
	}
	s.mu.Lock()
	s.current = nil
	s.mu.Unlock()
	s.cfg.Log.Info("kubescaler: stopped leading", "identity", s.cfg.Identity)
}

// Leading reports whether this scaler holds the Lease and scales.
func (s *Scaler) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current != nil
}

// Leader is the identity of the last Lease holder this scaler observed
// ("" before the first observation and while the Lease is released).
func (s *Scaler) Leader() string {
	s.el.mu.Lock()
	defer s.el.mu.Unlock()
	return s.el.leader
}

// Status is the status of every function while this scaler leads, nil
// otherwise.
func (s *Scaler) Status() []scale.FunctionStatus {
	s.mu.Lock()
	sc := s.current
	s.mu.Unlock()
	if sc == nil {
		return nil
	}
	return sc.Status()
}

// Check is the liveness check: an error when this scaler leads but has
// not renewed the Lease for tolerance past its expiry (its scaling is
// stuck), nil otherwise.
func (s *Scaler) Check(tolerance time.Duration) error {
	return s.el.check(tolerance)
}
