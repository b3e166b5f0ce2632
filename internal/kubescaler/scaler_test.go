package kubescaler

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/app/meshmap/meshmaptest"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/kube"
	"github.com/fnmesh/fnmesh/workers/kube/kubetest"
	"github.com/fnmesh/fnmesh/workers/scale"
)

const (
	ns = "shop"
	fn = "fulfil-order"
)

const testMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shop }
functions:
  - name: fulfil-order
    filters: [ { exact: { type: com.example.order.created } } ]
    run: { image: "shop/fulfil-order:1", runtime: kubernetes }
    scaling: { minReplicaCount: 0, maxReplicaCount: 4, lagThreshold: 2, cooldownPeriod: 300ms, pollingInterval: 50ms }
`

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	pods        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// cluster is a fake API server (the client-go object tracker) with a
// stand-in for the Deployment controller: whenever a Deployment is
// patched, its pods are created or deleted to match spec.replicas, so the
// runtime lists what a real cluster would run.
type cluster struct {
	t       *testing.T
	tracker k8stesting.ObjectTracker
}

func newCluster(t *testing.T) (*cluster, *fake.Clientset) {
	cs := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: kube.DeploymentName(fn), Namespace: ns},
		Spec:       appsv1.DeploymentSpec{Replicas: new(int32(0))},
	})
	c := &cluster{t: t, tracker: cs.Tracker()}
	c.control(cs)
	return c, cs
}

// clientset is another client of the same cluster, recording its own
// actions (as a second scaler pod would).
func (c *cluster) clientset() *fake.Clientset {
	cs := &fake.Clientset{}
	cs.AddReactor("*", "*", k8stesting.ObjectReaction(c.tracker))
	c.control(cs)
	return cs
}

// control makes cs's Deployment patches run the stand-in controller.
func (c *cluster) control(cs *fake.Clientset) {
	cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		_, obj, err := k8stesting.ObjectReaction(c.tracker)(a)
		if err != nil {
			return true, nil, err
		}
		d := obj.(*appsv1.Deployment)
		return true, d, c.reconcile(int(*d.Spec.Replicas))
	})
}

// reconcile runs n worker pods of fn. It uses the tracker directly: the
// reactor runs under the clientset's lock.
func (c *cluster) reconcile(n int) error {
	list, err := c.tracker.List(pods, schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, ns)
	if err != nil {
		return err
	}
	have := list.(*corev1.PodList).Items
	for i := len(have); i < n; i++ {
		now := metav1.Now()
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%d-%d", kube.DeploymentName(fn), i, now.UnixNano()), Namespace: ns,
				Labels: map[string]string{kube.LabelName: kube.WorkerName, kube.LabelFunction: kube.FunctionLabel(fn)},
			},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &now},
		}
		if err := c.tracker.Create(pods, p, ns); err != nil {
			return err
		}
	}
	for i := len(have) - 1; i >= n; i-- {
		if err := c.tracker.Delete(pods, ns, have[i].Name); err != nil {
			return err
		}
	}
	return nil
}

// replicas is spec.replicas of fn's Deployment.
func (c *cluster) replicas() int {
	obj, err := c.tracker.Get(deployments, ns, kube.DeploymentName(fn))
	if err != nil {
		c.t.Fatal(err)
	}
	return int(*obj.(*appsv1.Deployment).Spec.Replicas)
}

// holder is the holder of the scaler Lease ("" while there is none).
func (c *cluster) holder() string {
	obj, err := c.tracker.Get(schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}, ns, DefaultLeaseName)
	if err != nil {
		return ""
	}
	if h := obj.(*coordinationv1.Lease).Spec.HolderIdentity; h != nil {
		return *h
	}
	return ""
}

// patches are the replica counts cs patched fn's Deployment to, in order.
func patches(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && a.GetResource() == deployments {
			out = append(out, string(p.GetPatch()))
		}
	}
	return out
}

// counts are the replica counts of patches.
func counts(t *testing.T, patches []string) []int {
	t.Helper()
	out := make([]int, 0, len(patches))
	for _, p := range patches {
		var d struct {
			Spec struct{ Replicas int } `json:"spec"`
		}
		if err := json.Unmarshal([]byte(p), &d); err != nil {
			t.Fatalf("patch %q: %v", p, err)
		}
		out = append(out, d.Spec.Replicas)
	}
	return out
}

// leaseReads counts the times cs read the Lease: each is one attempt to
// acquire or renew it.
func leaseReads(cs *fake.Clientset) int {
	n := 0
	for _, a := range cs.Actions() {
		if a.GetVerb() == "get" && a.GetResource().Resource == "leases" {
			n++
		}
	}
	return n
}

// mesh is the test mesh applied to a real embedded JetStream, with a
// client for publishing and a consumer handle for playing the workers.
type mesh struct {
	m       *config.Mesh
	c       *broker.Client
	fns     meshmap.Functions
	backlog *scale.BrokerBacklog
	cons    jetstream.Consumer
}

func newMesh(t *testing.T) *mesh {
	t.Helper()
	m, err := meshmap.Parse("mesh.yaml", []byte(testMesh))
	if err != nil {
		t.Fatal(err)
	}
	e := brokertest.Server(t, "")
	c := meshmaptest.Client(t, e, m)
	if _, err := app.Apply(t.Context(), c, m); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(brokertest.Conn(t, e))
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(t.Context(), "EVENTS", workers.ConsumerName(fn))
	if err != nil {
		t.Fatal(err)
	}
	fns := kubeFunctions(m)
	backlog, err := scale.NewBrokerBacklog(c, fns.Consumers)
	if err != nil {
		t.Fatal(err)
	}
	return &mesh{m: m, c: c, fns: fns, backlog: backlog, cons: cons}
}

// kubeFunctions are every function of m as the in-cluster scaler sees them.
func kubeFunctions(m *config.Mesh) meshmap.Functions {
	fns := meshmap.FunctionsOn(m, "")
	for i := range fns.Workloads {
		fns.Workloads[i].Runtime = scale.RuntimeKubernetes
	}
	return fns
}

// publish stores n order events.
func (ms *mesh) publish(t *testing.T, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		e := event.New()
		e.SetID(fmt.Sprint("order-", i))
		e.SetSource("/shop/api")
		e.SetType("com.example.order.created")
		if _, err := ms.c.Publish(t.Context(), &e); err != nil {
			t.Fatal(err)
		}
	}
}

// work fetches and acks n events, as the function's workers would.
func (ms *mesh) work(t *testing.T, n int) {
	t.Helper()
	batch, err := ms.cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for msg := range batch.Messages() {
		if err := msg.DoubleAck(t.Context()); err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != n {
		t.Fatalf("worked %d events, want %d (%v)", got, n, batch.Error())
	}
}

func newScaler(t *testing.T, ms *mesh, cs *fake.Clientset, id string) *Scaler {
	t.Helper()
	s, err := New(Config{
		Cluster: kubetest.New(cs), Namespace: ns, Functions: ms.fns.Scaler.Functions, Workloads: ms.fns.Workloads, Backlog: ms.backlog, Identity: id,
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs s until the returned stop is called (or the test ends).
func run(t *testing.T, s *Scaler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// A backlog on the real JetStream consumer scales the Deployment from zero
// to ceil(backlog/lagThreshold) at once, and back to zero after the
// cooldown once the workers have handled it.
func TestScaleFromZeroAndBack(t *testing.T) {
	ms := newMesh(t)
	cl, cs := newCluster(t)
	s := newScaler(t, ms, cs, "scaler-a")
	run(t, s)
	poll.Until(t, 10*time.Second, "scaler-a to lead", s.Leading)
	poll.Until(t, 5*time.Second, "a first decision", func() bool { return len(s.Status()) == 1 && !s.Status()[0].LastDecision.Time.IsZero() })
	if n := cl.replicas(); n != 0 {
		t.Fatalf("replicas = %d with no backlog, want 0", n)
	}

	ms.publish(t, 0, 7) // ceil(7/2) = 4 = maxReplicaCount
	poll.Until(t, 5*time.Second, "4 replicas", func() bool { return cl.replicas() == 4 })
	ms.work(t, 7)
	poll.Until(t, 5*time.Second, "0 replicas after the cooldown", func() bool { return cl.replicas() == 0 })

	// Up in one or more steps (the events arrive one by one) to 4, then
	// down to 0 in one.
	got := counts(t, patches(cs))
	if len(got) < 2 || got[len(got)-2] != 4 || got[len(got)-1] != 0 || !slices.IsSorted(got[:len(got)-1]) {
		t.Errorf("patched replicas %v, want rising to 4, then 0", got)
	}
	st := s.Status()[0]
	if st.Function != fn || st.Actual != 0 || st.LastScale.From != 4 || st.LastScale.To != 0 {
		t.Errorf("status = %+v", st)
	}
}

// A second scaler stays passive while the first holds the Lease: it keeps
// trying the Lease and never patches a Deployment. When the first stops
// (releasing the Lease), the second takes over and scales.
func TestSecondScalerStaysPassive(t *testing.T) {
	ms := newMesh(t)
	cl, csA := newCluster(t)
	csB := cl.clientset()
	a, b := newScaler(t, ms, csA, "scaler-a"), newScaler(t, ms, csB, "scaler-b")

	stopA := run(t, a)
	poll.Until(t, 10*time.Second, "scaler-a to lead", a.Leading)
	run(t, b)
	poll.Until(t, 10*time.Second, "scaler-b to see scaler-a lead", func() bool { return b.Leader() == "scaler-a" })

	ms.publish(t, 0, 3)
	poll.Until(t, 5*time.Second, "scaler-a to scale to 2", func() bool { return cl.replicas() == 2 })
	// scaler-b tried the Lease again and again meanwhile (a definite
	// outcome: its own reads of the Lease), and did nothing else.
	before := leaseReads(csB)
	poll.Until(t, 5*time.Second, "scaler-b to retry the Lease 5 times", func() bool { return leaseReads(csB) >= before+5 })
	if b.Leading() || b.Status() != nil || cl.holder() != "scaler-a" {
		t.Fatalf("scaler-b leading %v, status %v, lease holder %q", b.Leading(), b.Status(), cl.holder())
	}
	if p := patches(csB); len(p) != 0 {
		t.Fatalf("scaler-b patched %q while scaler-a held the Lease", p)
	}

	stopA()
	byA := counts(t, patches(csA))
	if a.Leading() {
		t.Error("scaler-a still leading after Run returned")
	}
	poll.Until(t, 10*time.Second, "scaler-b to take over", b.Leading)
	if h := cl.holder(); h != "scaler-b" {
		t.Errorf("lease holder = %q, want scaler-b", h)
	}
	ms.work(t, 3)
	poll.Until(t, 5*time.Second, "scaler-b to scale to 0", func() bool { return cl.replicas() == 0 })
	if got, want := patches(csB), []string{`{"spec":{"replicas":0}}`}; !slices.Equal(got, want) {
		t.Errorf("scaler-b patches = %q, want %q", got, want)
	}
	if got := counts(t, patches(csA)); !slices.Equal(got, byA) || len(got) == 0 || got[len(got)-1] != 2 {
		t.Errorf("scaler-a patched replicas %v (%v when it stopped), want up to 2 and nothing after it stopped", got, byA)
	}
}

func TestConfigErrors(t *testing.T) {
	ms := &config.Mesh{}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"empty", Config{}, "Cluster: required"},
		{"identity", Config{Cluster: kubetest.New(fake.NewClientset()), Functions: kubeFunctions(ms).Scaler.Functions, Workloads: kubeFunctions(ms).Workloads, Backlog: nopBacklog{}}, "Identity: required"},
		{"lease", Config{LeaseDuration: time.Second, RenewDeadline: 2 * time.Second}, "LeaseDuration 1s: must be longer than RenewDeadline 2s"},
		{"retry", Config{RenewDeadline: time.Second, RetryPeriod: time.Second}, "RenewDeadline 1s: must be longer than 1.2 x RetryPeriod 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// nopBacklog is a BacklogSource for tests that never poll.
type nopBacklog struct{}

func (nopBacklog) Backlog(context.Context, string) (scale.Backlog, error) {
	return scale.Backlog{}, nil
}
