package kube

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// kubeFunctions are the functions the tests' runtime may scale.
var kubeFunctions = []scale.Workload{{Function: "fulfil-order"}, {Function: "notify"}}

func deployment(fn string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: DeploymentName(fn), Namespace: "fn"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
	}
}

func workerPod(fn, name string, started time.Time, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "fn", UID: types.UID("uid-" + name),
			Labels:            map[string]string{LabelName: WorkerName, LabelFunction: FunctionLabel(fn)},
			CreationTimestamp: metav1.NewTime(started),
		},
		Status: corev1.PodStatus{Phase: phase, StartTime: &metav1.Time{Time: started}},
	}
}

func newKube(t *testing.T, objs ...runtime.Object) (*Runtime, *fake.Clientset) {
	t.Helper()
	cs := fake.NewClientset(objs...)
	rt, err := New(Config{API: newFakeCluster(cs), Namespace: "fn", Functions: kubeFunctions, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rt, cs
}

func TestKubeRuntimeScale(t *testing.T) {
	rt, cs := newKube(t, deployment("fulfil-order", 0), deployment("notify", 1))
	ctx := t.Context()
	for _, n := range []int{3, 5, 1, 0} {
		if err := rt.Scale(ctx, "fulfil-order", n); err != nil {
			t.Fatalf("Scale(%d): %v", n, err)
		}
		d, err := cs.AppsV1().Deployments("fn").Get(ctx, DeploymentName("fulfil-order"), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := *d.Spec.Replicas; got != int32(n) {
			t.Errorf("after Scale(%d): spec.replicas = %d", n, got)
		}
	}
	other, err := cs.AppsV1().Deployments("fn").Get(ctx, DeploymentName("notify"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *other.Spec.Replicas != 1 {
		t.Errorf("notify: spec.replicas = %d, want 1 (untouched)", *other.Spec.Replicas)
	}
	var patches []string
	for _, a := range cs.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			if p.GetSubresource() != "scale" {
				t.Errorf("patch of %s on subresource %q, want the scale subresource", p.GetName(), p.GetSubresource())
			}
			patches = append(patches, p.GetName()+" "+string(p.GetPatch()))
		}
	}
	want := `fnmesh-fulfil-order {"spec":{"replicas":3}}`
	if len(patches) != 4 || patches[0] != want {
		t.Errorf("patches = %q, want 4 starting with %q", patches, want)
	}
}

func TestKubeRuntimeScaleErrors(t *testing.T) {
	rt, _ := newKube(t, deployment("fulfil-order", 0))
	tests := []struct {
		name string
		fn   string
		n    int
		want error
		text string
	}{
		{name: "unknown function", fn: "nope", n: 1, want: scale.ErrUnknownFunction},
		{name: "no deployment", fn: "notify", n: 1, want: ErrNoDeployment, text: "fn/fnmesh-notify"},
		{name: "negative", fn: "fulfil-order", n: -1, text: "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rt.Scale(t.Context(), tt.fn, tt.n)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %q, want it to mention %q", err, tt.text)
			}
		})
	}
}

func TestKubeRuntimeList(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	crash := workerPod("fulfil-order", "crash", t0.Add(3*time.Second), corev1.PodRunning)
	crash.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "worker", State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
	leaving := workerPod("fulfil-order", "leaving", t0.Add(-time.Minute), corev1.PodRunning)
	leaving.DeletionTimestamp = &metav1.Time{Time: t0}
	pending := workerPod("fulfil-order", "pending", t0, corev1.PodPending)
	pending.Status.StartTime = nil
	rt, _ := newKube(t,
		workerPod("fulfil-order", "newest", t0.Add(time.Hour), corev1.PodRunning),
		crash, leaving, pending,
		workerPod("fulfil-order", "done", t0, corev1.PodSucceeded),
		workerPod("fulfil-order", "failed", t0, corev1.PodFailed),
		workerPod("notify", "other-function", t0, corev1.PodRunning),
	)
	got, err := rt.List(t.Context(), "fulfil-order")
	if err != nil {
		t.Fatal(err)
	}
	want := []scale.Replica{
		{ID: "leaving", Started: t0.Add(-time.Minute), State: scale.ReplicaStopping},
		{ID: "pending", Started: t0, State: scale.ReplicaStarting},
		{ID: "crash", Started: t0.Add(3 * time.Second), State: scale.ReplicaBackoff},
		{ID: "newest", Started: t0.Add(time.Hour), State: scale.ReplicaRunning},
	}
	if len(got) != len(want) {
		t.Fatalf("List = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].State != want[i].State || !got[i].Started.Equal(want[i].Started) {
			t.Errorf("List[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	active := 0
	for _, r := range got {
		if r.State != scale.ReplicaStopping {
			active++
		}
	}
	if n := active; n != 3 {
		t.Errorf("active replicas = %d, want 3", n)
	}
	if _, err := rt.List(t.Context(), "nope"); !errors.Is(err, scale.ErrUnknownFunction) {
		t.Errorf("List(nope) err = %v, want scale.ErrUnknownFunction", err)
	}
}

// TestKubeRuntimeStop deletes a pod the way the API server does with a
// grace period: the pod is first marked for deletion and only goes away
// once its containers have exited. Stop must wait for that.
func TestKubeRuntimeStop(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	rt, cs := newKube(t, workerPod("fulfil-order", "a", t0, corev1.PodRunning), workerPod("notify", "b", t0, corev1.PodRunning))
	rt.cfg.GracePeriod = 1500 * time.Millisecond

	var mu sync.Mutex
	var graces []int64
	gone := make(chan struct{})
	cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.DeleteAction)
		mu.Lock()
		if g := d.GetDeleteOptions().GracePeriodSeconds; g != nil {
			graces = append(graces, *g)
		}
		mu.Unlock()
		obj, err := cs.Tracker().Get(a.GetResource(), a.GetNamespace(), d.GetName())
		if err != nil {
			return true, nil, err
		}
		p := obj.(*corev1.Pod).DeepCopy()
		p.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		if err := cs.Tracker().Update(a.GetResource(), p, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		go func() {
			<-gone
			_ = cs.Tracker().Delete(a.GetResource(), a.GetNamespace(), d.GetName())
		}()
		return true, nil, nil
	})

	stopped := make(chan error, 1)
	go func() { stopped <- rt.Stop(context.Background(), "fulfil-order", "a") }()

	// While the pod drains, List shows it stopping and Stop keeps waiting.
	poll.Until(t, 5*time.Second, "the pod to show as stopping", func() bool {
		reps, err := rt.List(t.Context(), "fulfil-order")
		if err != nil {
			t.Fatal(err)
		}
		return len(reps) == 1 && reps[0].State == scale.ReplicaStopping
	})
	// Stop looked at the pod three more times and is still waiting.
	gets := func() int {
		n := 0
		for _, a := range cs.Actions() {
			if g, ok := a.(k8stesting.GetAction); ok && a.GetResource().Resource == "pods" && g.GetName() == "a" {
				n++
			}
		}
		return n
	}
	from := gets()
	poll.Until(t, 5*time.Second, "Stop to poll the pod again", func() bool { return gets() >= from+3 })
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned before the pod was gone: %v", err)
	default:
	}
	close(gone)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return after the pod was gone")
	}
	mu.Lock()
	if len(graces) != 1 || graces[0] != 2 {
		t.Errorf("grace periods = %v, want [2] (1.5s rounded up)", graces)
	}
	mu.Unlock()

	for _, tt := range []struct{ fn, id string }{
		{"fulfil-order", "a"},       // gone now
		{"fulfil-order", "b"},       // a pod of another function
		{"fulfil-order", "missing"}, // never existed
	} {
		if err := rt.Stop(t.Context(), tt.fn, tt.id); !errors.Is(err, scale.ErrNoReplica) {
			t.Errorf("Stop(%s, %s) err = %v, want scale.ErrNoReplica", tt.fn, tt.id, err)
		}
	}
}

func TestKubeRuntimeStopContext(t *testing.T) {
	rt, cs := newKube(t, workerPod("fulfil-order", "a", time.Now(), corev1.PodRunning))
	// The pod never goes: Stop must give up when its context ends.
	cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, nil })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := rt.Stop(ctx, "fulfil-order", "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop err = %v, want context.DeadlineExceeded", err)
	}
}

func TestNewKubeRuntimeErrors(t *testing.T) {
	if _, err := New(Config{Functions: kubeFunctions}); err == nil || !strings.Contains(err.Error(), "API is nil") {
		t.Errorf("nil API: err = %v", err)
	}
	if _, err := New(Config{API: newFakeCluster(fake.NewClientset()), Functions: []scale.Workload{{}}}); err == nil || !strings.Contains(err.Error(), "Functions[0].Function: required") {
		t.Errorf("empty function name: err = %v", err)
	}
}

func TestKubeNames(t *testing.T) {
	tests := []struct {
		fn, deployment, label string
	}{
		{fn: "fulfil-order", deployment: "fnmesh-fulfil-order", label: "fulfil-order"},
		{fn: "a", deployment: "fnmesh-a", label: "a"},
		{fn: "9lives", deployment: "fnmesh-9lives", label: "9lives"},
		{fn: "Fulfil_Order", deployment: "fnmesh-fulfil-order-", label: "Fulfil_Order"},
		{fn: "fulfil-order-", deployment: "fnmesh-fulfil-order-", label: "fulfil-order-"},
		{fn: strings.Repeat("x", 63), deployment: "fnmesh-xxx", label: strings.Repeat("x", 63)},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			d, l := DeploymentName(tt.fn), FunctionLabel(tt.fn)
			if !strings.HasPrefix(d, tt.deployment) {
				t.Errorf("DeploymentName = %q, want prefix %q", d, tt.deployment)
			}
			if !strings.HasPrefix(l, tt.label) {
				t.Errorf("FunctionLabel = %q, want prefix %q", l, tt.label)
			}
			checkKubeNames(t, tt.fn)
		})
	}
	if DeploymentName("Foo") == DeploymentName("foo") || DeploymentName("a_b") == DeploymentName("a-b") {
		t.Error("names that differ only in case or '_' share a Deployment")
	}
	if FunctionLabel("a-") == FunctionLabel("a_") {
		t.Error("a- and a_ share a label value")
	}
}

// FuzzKubeNames: whatever a mesh file names a function, the names derived
// from it are accepted by Kubernetes.
func FuzzKubeNames(f *testing.F) {
	for _, s := range []string{"fulfil-order", "Fulfil_Order", "x-", "_", "", strings.Repeat("Z_", 40), "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		checkKubeNames(t, fn)
	})
}

func checkKubeNames(t *testing.T, fn string) {
	t.Helper()
	d := DeploymentName(fn)
	if errs := validation.IsDNS1123Label(d); len(errs) > 0 {
		t.Errorf("DeploymentName(%q) = %q: %v", fn, d, errs)
	}
	if errs := validation.IsDNS1035Label(d); len(errs) > 0 {
		t.Errorf("DeploymentName(%q) = %q is no Service name: %v", fn, d, errs)
	}
	l := FunctionLabel(fn)
	if errs := validation.IsValidLabelValue(l); len(errs) > 0 || l == "" {
		t.Errorf("FunctionLabel(%q) = %q: %v", fn, l, errs)
	}
}
