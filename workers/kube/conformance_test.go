package kube

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/scale/runtimetest"
)

// TestConformance runs the runtime suite on a fake clientset, with a fake
// Deployment controller that runs as many pods as spec.replicas asks for.
func TestConformance(t *testing.T) {
	var ctl *controller // the controller of the current test
	runtimetest.Run(t, runtimetest.Harness{
		Function: "drain",
		New: func(t *testing.T) scale.Runtime {
			cs := fake.NewClientset(deployment("drain", 0))
			ctl = startController(t, cs, "drain")
			rt, err := New(Config{API: newFakeCluster(cs), Namespace: "fn", Functions: []scale.Workload{{Function: "drain"}}, PollInterval: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return rt
		},
		Ready:        func(t *testing.T, id string) bool { return ctl.running(t, id) },
		Drained:      func(_ *testing.T, id string) bool { return ctl.drained(id) },
		StopReplaces: true,
	})
}

// controller plays the Deployment controller of one function on a fake
// clientset: it starts pods (running at once) until spec.replicas run and
// deletes the surplus newest first the way the real one does, gracefully:
// a pod being deleted stays, terminating, for drainTime before it is gone.
// Every graceful deletion of a pod (the controller's or the runtime's
// Stop) counts as a drain.
type controller struct {
	cs *fake.Clientset
	fn string

	seq     int                  // only touched by reconcile
	gone    map[string]time.Time // terminating pod -> when it is removed; only touched by reconcile
	started time.Time

	mu     sync.Mutex // guards drains (the delete reactor runs inside reconcile's calls)
	drains map[string]bool
}

// drainTime is how long a terminating pod takes to go.
const drainTime = 50 * time.Millisecond

func startController(t *testing.T, cs *fake.Clientset, fn string) *controller {
	c := &controller{cs: cs, fn: fn, gone: map[string]time.Time{}, drains: map[string]bool{}, started: time.Now()}
	cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if d, ok := a.(k8stesting.DeleteAction); ok {
			if g := d.GetDeleteOptions().GracePeriodSeconds; g == nil || *g > 0 {
				c.mu.Lock()
				c.drains[d.GetName()] = true
				c.mu.Unlock()
			}
		}
		return false, nil, nil
	})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := c.reconcile(t); err != nil {
				t.Errorf("controller: %v", err)
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return c
}

// reconcile brings the pods of the function to spec.replicas once.
func (c *controller) reconcile(t *testing.T) error {
	ctx := t.Context()
	d, err := c.cs.AppsV1().Deployments("fn").Get(ctx, DeploymentName(c.fn), metav1.GetOptions{})
	if err != nil {
		return err
	}
	pods := c.cs.CoreV1().Pods("fn")
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: Selector(c.fn)})
	if err != nil {
		return err
	}
	var live []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		} else if at, ok := c.gone[p.Name]; ok && time.Now().After(at) {
			if err := pods.Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(live, func(a, b corev1.Pod) int { return a.Status.StartTime.Compare(b.Status.StartTime.Time) })
	want := int(*d.Spec.Replicas)
	for ; len(live) < want; c.seq++ {
		p := c.pod(c.seq)
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return err
		}
		live = append(live, *p)
	}
	for _, p := range slices.Backward(live[min(want, len(live)):]) {
		p.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		if _, err := pods.Update(ctx, &p, metav1.UpdateOptions{}); err != nil {
			return err
		}
		c.gone[p.Name] = time.Now().Add(drainTime)
		c.mu.Lock()
		c.drains[p.Name] = true
		c.mu.Unlock()
	}
	return nil
}

// pod is the running pod number n of the function, started n seconds
// after the controller (so List's order is the order of creation).
func (c *controller) pod(n int) *corev1.Pod {
	name := fmt.Sprintf("%s-%d", DeploymentName(c.fn), n)
	started := metav1.NewTime(c.started.Add(time.Duration(n) * time.Second))
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "fn", UID: types.UID("uid-" + name), CreationTimestamp: started,
			Labels: map[string]string{LabelName: WorkerName, LabelFunction: FunctionLabel(c.fn)},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &started},
	}
}

// running reports whether pod id runs and is not terminating.
func (c *controller) running(t *testing.T, id string) bool {
	p, err := c.cs.CoreV1().Pods("fn").Get(t.Context(), id, metav1.GetOptions{})
	return err == nil && p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning
}

// drained reports whether pod id was deleted gracefully.
func (c *controller) drained(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drains[id]
}
