package kubescaler

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/workers/kube"
)

// JitterFactor spreads the attempts of waiting scalers: each waits between
// RetryPeriod and (1+JitterFactor) x RetryPeriod between two tries, as
// client-go's leader election does.
const JitterFactor = 1.2

// elector is leader election on a coordination.k8s.io/v1 Lease with the
// semantics of client-go's leaderelection package (LeaseLock), so that it
// interoperates with it and with kubectl's view of a Lease:
//
//   - spec.holderIdentity names the leader, spec.leaseDurationSeconds how
//     long its claim lasts after spec.renewTime; spec.acquireTime and
//     spec.leaseTransitions change when the holder changes.
//   - A candidate takes a Lease held by another only when it has not seen
//     the Lease change for leaseDurationSeconds on its own clock (clock
//     skew between pods does not matter), or when the holder is "".
//   - Every write is an update carrying the resourceVersion read just
//     before: of two candidates, the API server lets one win (409 Conflict
//     for the other).
//   - The leader renews every RetryPeriod; when renewing has failed for
//     RenewDeadline it stops leading. On stop it releases the Lease
//     (holderIdentity "", leaseDurationSeconds 1), so a candidate takes
//     over at once.
type elector struct {
	api                   kube.LeaseAPI
	ns, name, id          string
	duration, renew, wait time.Duration
	log                   *slog.Logger
	now                   func() time.Time

	mu           sync.Mutex
	observed     *kube.Lease // last Lease read or written
	observedTime time.Time   // when observed last changed
	leader       string      // holder of observed
}

// leaseSeconds is the elector's LeaseDuration in whole seconds (at least 1).
func (e *elector) leaseSeconds() int32 {
	return int32(max(1, (e.duration+time.Second-1)/time.Second))
}

// run campaigns until it holds the Lease (or ctx ends), then calls lead
// with a context that ends when the Lease is lost or ctx ends. It returns
// once lead has returned and, if ctx ended, the Lease is released.
func (e *elector) run(ctx context.Context, lead func(context.Context)) {
	for !e.tryAcquireOrRenew(ctx) {
		d := e.wait + time.Duration(rand.Float64()*JitterFactor*float64(e.wait))
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
	e.log.Info("kubescaler: lease acquired", "lease", e.name, "identity", e.id)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(lctx)
	}()
	e.renewLoop(ctx)
	cancel()
	<-done
	if ctx.Err() != nil {
		e.release()
	}
}

// renewLoop renews the Lease every wait until ctx ends or renewing has
// failed for the renew deadline.
func (e *elector) renewLoop(ctx context.Context) {
	t := time.NewTicker(e.wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, e.renew)
		ok := e.renewUntil(rctx)
		cancel()
		if !ok {
			if ctx.Err() == nil {
				e.log.Warn("kubescaler: lease lost; stopping scaling", "lease", e.name, "identity", e.id, "renewDeadline", e.renew)
			}
			return
		}
	}
}

// renewUntil tries to renew every wait until it succeeds or ctx ends.
func (e *elector) renewUntil(ctx context.Context) bool {
	for {
		if e.tryAcquireOrRenew(ctx) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(e.wait):
		}
	}
}

// tryAcquireOrRenew reads the Lease and, when it is free, expired or
// ours, writes it with this elector as holder. It reports whether this
// elector holds the Lease now.
func (e *elector) tryAcquireOrRenew(ctx context.Context) bool {
	now := kube.MicroTime{Time: e.now()}
	secs := e.leaseSeconds()
	cur, err := e.api.GetLease(ctx, e.ns, e.name)
	if kube.IsNotFound(err) {
		l := &kube.Lease{
			Metadata: kube.ObjectMeta{Name: e.name, Namespace: e.ns},
			Spec: kube.LeaseSpec{
				HolderIdentity: &e.id, LeaseDurationSeconds: &secs,
				AcquireTime: &now, RenewTime: &now, LeaseTransitions: new(int32(0)),
			},
		}
		created, err := e.api.CreateLease(ctx, l)
		if err != nil {
			e.log.Debug("kubescaler: create lease", "lease", e.name, "err", err)
			return false
		}
		e.observe(created, now.Time)
		return true
	}
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("kubescaler: read lease", "lease", e.name, "err", err)
		}
		return false
	}
	e.observe(cur, now.Time)
	holder := deref(cur.Spec.HolderIdentity)
	e.mu.Lock()
	expiry := e.observedTime.Add(time.Duration(deref(cur.Spec.LeaseDurationSeconds)) * time.Second)
	e.mu.Unlock()
	if holder != "" && holder != e.id && expiry.After(now.Time) {
		return false // held by another, not expired
	}
	next := &kube.Lease{Metadata: cur.Metadata, Spec: cur.Spec}
	if holder != e.id {
		next.Spec.AcquireTime = &now
		next.Spec.LeaseTransitions = new(deref(cur.Spec.LeaseTransitions) + 1)
	}
	next.Spec.HolderIdentity, next.Spec.LeaseDurationSeconds, next.Spec.RenewTime = &e.id, &secs, &now
	updated, err := e.api.UpdateLease(ctx, next) // carries cur's resourceVersion
	if err != nil {
		e.log.Debug("kubescaler: update lease", "lease", e.name, "err", err)
		return false
	}
	e.observe(updated, now.Time)
	return true
}

// observe records l as the last Lease seen; observedTime moves only when
// its spec changed, which is what expiry is measured from.
func (e *elector) observe(l *kube.Lease, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.observed == nil || !sameSpec(e.observed.Spec, l.Spec) {
		e.observedTime = now
	}
	e.observed = l
	if h := deref(l.Spec.HolderIdentity); h != e.leader {
		e.leader = h
		if h != "" && h != e.id {
			e.log.Info("kubescaler: another scaler leads; waiting", "leader", h, "lease", e.name)
		}
	}
}

// release gives the Lease up if this elector holds it.
func (e *elector) release() {
	e.mu.Lock()
	l := e.observed
	e.mu.Unlock()
	if l == nil || deref(l.Spec.HolderIdentity) != e.id {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.renew)
	defer cancel()
	now := kube.MicroTime{Time: e.now()}
	next := &kube.Lease{Metadata: l.Metadata, Spec: l.Spec}
	next.Spec.HolderIdentity = new("")
	next.Spec.LeaseDurationSeconds = new(int32(1))
	next.Spec.AcquireTime, next.Spec.RenewTime = &now, &now
	updated, err := e.api.UpdateLease(ctx, next)
	if err != nil {
		e.log.Warn("kubescaler: release lease", "lease", e.name, "err", err)
		return
	}
	e.observe(updated, now.Time)
	e.log.Info("kubescaler: lease released", "lease", e.name, "identity", e.id)
}

// holds reports whether the last Lease seen names this elector.
func (e *elector) holds() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.observed != nil && deref(e.observed.Spec.HolderIdentity) == e.id
}

// check is client-go's LeaderElector.Check: an error when this elector
// holds the Lease but has not renewed it for LeaseDuration + tolerance.
func (e *elector) check(tolerance time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.observed == nil || deref(e.observed.Spec.HolderIdentity) != e.id {
		return nil
	}
	if since := e.now().Sub(e.observedTime); since > e.duration+tolerance {
		return fmt.Errorf("kubescaler: lease %s not renewed for %s (lease duration %s, tolerance %s)", e.name, since.Round(time.Millisecond), e.duration, tolerance)
	}
	return nil
}

func sameSpec(a, b kube.LeaseSpec) bool {
	return deref(a.HolderIdentity) == deref(b.HolderIdentity) &&
		deref(a.LeaseDurationSeconds) == deref(b.LeaseDurationSeconds) &&
		deref(a.LeaseTransitions) == deref(b.LeaseTransitions) &&
		microEqual(a.RenewTime, b.RenewTime) && microEqual(a.AcquireTime, b.AcquireTime)
}

func microEqual(a, b *kube.MicroTime) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b.Time)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
