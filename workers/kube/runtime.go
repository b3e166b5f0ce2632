package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
)

// ErrNoDeployment means the Deployment of a function does not exist in the
// runtime's namespace: the manifests were not applied (see `fnmesh deploy
// render`).
var ErrNoDeployment = errors.New("no deployment for function")

// Config configures a Runtime.
type Config struct {
	// API talks to the cluster (NewREST, or kubetest's adapter of the
	// client-go fake clientset in tests). Required.
	API API
	// Namespace holds the Deployments. Default DefaultNamespace.
	Namespace string
	// Functions are the functions the runtime may scale (their
	// Deployments run them; only the names are used).
	Functions []scale.Workload
	// GracePeriod, when positive, overrides the pods'
	// terminationGracePeriodSeconds when Stop deletes a pod (rounded up to
	// whole seconds). The rendered manifests set it to the function's
	// timeout plus 15s.
	GracePeriod time.Duration
	// PollInterval is how often Stop checks whether a deleted pod is gone.
	// Default DefaultPollInterval.
	PollInterval time.Duration
}

// Runtime runs the workers of functions as the pods of one Deployment
// per function, named DeploymentName(fn) (as `fnmesh deploy render`
// writes them). It only changes spec.replicas: the Deployment, its pod
// template and the mesh ConfigMap are applied beforehand. Do not use it for
// functions whose Deployment is scaled by a KEDA ScaledObject; KEDA and the
// scale.Scaler would fight over the count.
type Runtime struct {
	api API
	ns  string
	fns scale.Workloads
	cfg Config
	log *slog.Logger
}

var _ scale.Runtime = (*Runtime)(nil)

// Defaults of Config.
const (
	// DefaultNamespace holds the Deployments unless Config.Namespace says
	// otherwise.
	DefaultNamespace = "default"
	// DefaultPollInterval is how often Stop checks whether a deleted pod is
	// gone.
	DefaultPollInterval = 500 * time.Millisecond
)

func (c *Config) setDefaults() {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
}

// Validate checks what New cannot default.
func (c Config) Validate() error {
	var errs []error
	if c.API == nil {
		errs = append(errs, errors.New("kubernetes runtime: API is nil"))
	}
	if _, err := scale.IndexWorkloads("kubernetes runtime", c.Functions); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// New applies cfg's defaults, then the options, checks cfg and returns a
// runtime. It does not contact the cluster.
func New(cfg Config, opts ...scale.Option) (*Runtime, error) {
	cfg.setDefaults()
	o := scale.ApplyOptions(opts)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fns, _ := scale.IndexWorkloads("kubernetes runtime", cfg.Functions) // valid
	return &Runtime{api: cfg.API, ns: cfg.Namespace, fns: fns, cfg: cfg, log: o.Log}, nil
}

// Selector is the label selector of the worker pods of function fn.
func Selector(fn string) string {
	// Both values are valid label values (FunctionLabel), so the
	// selector needs no quoting; keys sorted, as labels.Set writes them.
	return LabelName + "=" + WorkerName + "," + LabelFunction + "=" + FunctionLabel(fn)
}

// List returns the pods of fn's Deployment, oldest first. Pods being deleted
// are scale.ReplicaStopping, pods whose container waits in CrashLoopBackOff are
// scale.ReplicaBackoff, running pods are scale.ReplicaRunning and the others
// scale.ReplicaStarting. Pods that have terminated (Succeeded or Failed) are not
// replicas any more and are left out.
func (rt *Runtime) List(ctx context.Context, fn string) ([]scale.Replica, error) {
	if _, err := rt.fns.Lookup("list", fn); err != nil {
		return nil, err
	}
	pods, err := rt.api.ListPods(ctx, rt.ns, Selector(fn))
	if err != nil {
		return nil, fmt.Errorf("kubernetes runtime: list pods of %s in %s: %w", fn, rt.ns, err)
	}
	out := make([]scale.Replica, 0, len(pods))
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == PodSucceeded || p.Status.Phase == PodFailed {
			continue
		}
		out = append(out, scale.Replica{ID: p.Metadata.Name, Started: podStarted(p), State: podState(p)})
	}
	slices.SortStableFunc(out, func(a, b scale.Replica) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// podStarted is when the pod started, or was created when it has not.
func podStarted(p *Pod) time.Time {
	if p.Status.StartTime != nil {
		return *p.Status.StartTime
	}
	return p.Metadata.CreationTimestamp
}

// podState maps a pod to a scale.Replica state.
func podState(p *Pod) string {
	if p.Metadata.DeletionTimestamp != nil {
		return scale.ReplicaStopping
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
			return scale.ReplicaBackoff
		}
	}
	if p.Status.Phase == PodRunning {
		return scale.ReplicaRunning
	}
	return scale.ReplicaStarting
}

// Scale sets spec.replicas of fn's Deployment to n with a merge patch of
// its scale subresource. The
// Deployment controller starts or deletes pods; deleted pods get their
// terminationGracePeriodSeconds to drain. Scale returns once the Deployment
// is updated.
func (rt *Runtime) Scale(ctx context.Context, fn string, n int) error {
	if _, err := rt.fns.ForScale(fn, n); err != nil {
		return err
	}
	name := DeploymentName(fn)
	// The scale subresource: the scaler's Role grants get and patch on
	// deployments/scale only, never on the Deployment itself.
	d, err := rt.api.ScaleDeployment(ctx, rt.ns, name, int32(n))
	if IsNotFound(err) {
		return fmt.Errorf("kubernetes runtime: scale %s: deployment %s/%s: %w (apply the manifests of `fnmesh deploy render` first)", fn, rt.ns, name, ErrNoDeployment)
	}
	if err != nil {
		return fmt.Errorf("kubernetes runtime: scale %s: deployment %s/%s: %w", fn, rt.ns, name, err)
	}
	rt.log.Info("kubernetes runtime: scaled", "function", fn, "deployment", name, "replicas", n, "generation", generation(d))
	return nil
}

func generation(d *Scale) int64 {
	if d == nil {
		return 0
	}
	return d.Metadata.Generation
}

// Stop deletes one pod of fn with its grace period (Config.GracePeriod
// when set) and waits until it is gone or ctx ends. The pod gets SIGTERM,
// drains, and is killed after the grace period. The Deployment keeps its
// replica count, so its controller starts a replacement pod: to run fewer
// replicas, use Scale.
func (rt *Runtime) Stop(ctx context.Context, fn, id string) error {
	if _, err := rt.fns.Lookup("stop", fn); err != nil {
		return err
	}
	p, err := rt.api.GetPod(ctx, rt.ns, id)
	if IsNotFound(err) {
		return fmt.Errorf("kubernetes runtime: stop %s/%s: %w", fn, id, scale.ErrNoReplica)
	}
	if err != nil {
		return fmt.Errorf("kubernetes runtime: stop %s/%s: %w", fn, id, err)
	}
	if p.Metadata.Labels[LabelName] != WorkerName || p.Metadata.Labels[LabelFunction] != FunctionLabel(fn) {
		return fmt.Errorf("kubernetes runtime: stop %s/%s: the pod is not a worker of %s: %w", fn, id, fn, scale.ErrNoReplica)
	}
	opts := DeleteOptions{PreconditionUID: p.Metadata.UID}
	if rt.cfg.GracePeriod > 0 {
		secs := int64((rt.cfg.GracePeriod + time.Second - 1) / time.Second)
		opts.GracePeriodSeconds = &secs
	}
	if err := rt.api.DeletePod(ctx, rt.ns, id, opts); err != nil && !IsNotFound(err) {
		return fmt.Errorf("kubernetes runtime: stop %s/%s: delete pod: %w", fn, id, err)
	}
	rt.log.Info("kubernetes runtime: pod deleted", "function", fn, "pod", id)
	t := time.NewTicker(rt.cfg.PollInterval)
	defer t.Stop()
	for {
		cur, err := rt.api.GetPod(ctx, rt.ns, id)
		switch {
		case IsNotFound(err), err == nil && cur.Metadata.UID != p.Metadata.UID:
			return nil
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("kubernetes runtime: stop %s/%s: wait for the pod to go: %w", fn, id, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubernetes runtime: stop %s/%s: %w", fn, id, ctx.Err())
		case <-t.C:
		}
	}
}
