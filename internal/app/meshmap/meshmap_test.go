package meshmap_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/app/meshmap/meshmaptest"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

const meshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
subjectPrefix: shop
streams:
  - { name: ORDERS, subjects: ["shop.>"] }
functions:
  - name: fulfil
    filters:
      - any: [ { exact: { type: a.b } }, { not: { prefix: { source: /crm } } } ]
    run: { command: ["./bin/fulfil"], dir: bin }
    concurrency: 8
    ackWait: 10s
    delivery: { retry: 0, backoffPolicy: linear, backoffDelay: 2s, deadLetter: false }
    scaling: { minReplicaCount: 1, maxReplicaCount: 20, lagThreshold: 7, activationLagThreshold: 2, cooldownPeriod: 5s }
    env: { A: "1" }
  - name: web
    run: { http: { url: "http://127.0.0.1:1" } }
  - name: img
    run: { image: "shop/img:1" }
`

func TestWorker(t *testing.T) {
	m, err := meshmap.Parse("mesh.yaml", []byte(meshYAML))
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := m.Function("fulfil")
	got := meshmap.Worker(m, fn)
	want := workers.Config{
		Function: "fulfil", Stream: "ORDERS", SubjectPrefix: "shop",
		Filters: []workers.FilterSpec{{Any: []workers.FilterSpec{
			{Exact: map[string]string{"type": "a.b"}},
			{Not: &workers.FilterSpec{Prefix: map[string]string{"source": "/crm"}}},
		}}},
		Concurrency: 8, Timeout: workers.DefaultTimeout, AckWait: 10 * time.Second,
		Delivery: workers.Delivery{Retry: new(0), BackoffPolicy: "linear", BackoffDelay: 2 * time.Second,
			BackoffMax: workers.DefaultBackoffMax, DeadLetter: new(false)},
		MaxReplicas: 20,
	}
	if got.Function != want.Function || got.Stream != want.Stream || got.SubjectPrefix != want.SubjectPrefix ||
		got.Concurrency != want.Concurrency || got.Timeout != want.Timeout || got.AckWait != want.AckWait ||
		got.MaxReplicas != want.MaxReplicas || *got.Delivery.Retry != 0 || *got.Delivery.DeadLetter ||
		got.Delivery.BackoffPolicy != "linear" || got.Delivery.BackoffDelay != 2*time.Second || got.Delivery.BackoffMax != time.Minute {
		t.Errorf("Worker =\n%+v\nwant\n%+v", got, want)
	}
	if cc, wc := workers.ConsumerConfig(got), workers.ConsumerConfig(want); !slices.Equal(cc.FilterSubjects, wc.FilterSubjects) ||
		cc.MaxAckPending != 8*20+1000 {
		t.Errorf("filters: consumer %+v, want %+v", cc, wc)
	}
	if p := meshmap.Params(fn); p != (scale.Params{Min: 1, Max: 20, LagThreshold: 7, Activation: 2, Cooldown: 5 * time.Second, PollingInterval: time.Second}) {
		t.Errorf("Params = %+v", p)
	}
}

// TestWorkerOfAMeshWithoutComponentDefaults: a mesh read without the
// components' defaults (config.Parse) maps onto the same consumer, so a
// replica and the scaler never disagree about it.
func TestWorkerOfAMeshWithoutComponentDefaults(t *testing.T) {
	data := []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions: [{ name: f, run: { exec: [cat] } }]\n")
	plain, err := config.Parse("mesh.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	full, err := meshmap.Parse("mesh.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	a := workers.ConsumerConfig(meshmap.Worker(plain, &plain.Functions[0]))
	b := workers.ConsumerConfig(meshmap.Worker(full, &full.Functions[0]))
	// Defaults: ack wait 30s, concurrency 1, the scaler's 10 replicas.
	if a.AckWait != b.AckWait || a.MaxAckPending != b.MaxAckPending || a.MaxAckPending != 1*scale.DefaultMaxReplicaCount+1000 ||
		a.AckWait != workers.DefaultAckWait || !slices.Equal(a.FilterSubjects, []string{"events.>"}) {
		t.Errorf("consumer of the plain mesh %+v, of the full one %+v", a, b)
	}
}

func TestFunctionsOn(t *testing.T) {
	m, err := meshmap.Parse("mesh.yaml", []byte(meshYAML))
	if err != nil {
		t.Fatal(err)
	}
	proc := meshmap.FunctionsOn(m, scale.RuntimeProcess)
	if got := names(proc); !slices.Equal(got, []string{"fulfil", "web"}) {
		t.Fatalf("process functions %v", got)
	}
	if w := proc.Workloads[0]; w.Runtime != "process" || !slices.Equal(w.Command, []string{"./bin/fulfil"}) || w.Dir != "bin" || w.Env["A"] != "1" || w.Generic {
		t.Errorf("workload %+v", w)
	}
	if w := proc.Workloads[1]; !w.Generic {
		t.Errorf("run.http is not the generic worker: %+v", w)
	}
	if len(proc.Scaler.Functions) != 2 || proc.Scaler.Functions[0].Params.Max != 20 || len(proc.Consumers) != 2 {
		t.Errorf("scaler %+v, consumers %d", proc.Scaler, len(proc.Consumers))
	}
	if got := names(meshmap.FunctionsOn(m, scale.RuntimeDocker)); !slices.Equal(got, []string{"img"}) {
		t.Errorf("docker functions %v", got)
	}
}

// TestComponentRulesHavePositions: the mesh's rules and the components'
// come back together, in file order, each once.
func TestComponentRulesHavePositions(t *testing.T) {
	_, err := meshmap.Parse("m.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - run: { exec: [cat] }
    filters: [ { exact: { type: "" } } ]
    scaling: { maxReplicaCount: -1 }
`))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"m.yaml:4:5: functions[0].name: required",
		"m.yaml:5:33: functions[0].filters[0].exact.type: the value must not be empty",
		"m.yaml:6:33: functions[0].scaling.maxReplicaCount: must be at least 1",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBrokerDeadLetters: the dead letters of the mapped broker land on the
// mesh's dead-letter subject, as the event or, undecodable, as the raw
// message.
func TestBrokerDeadLetters(t *testing.T) {
	srv := brokertest.Server(t, "")
	m := meshmaptest.Mesh()
	c := meshmaptest.Client(t, srv, m)
	wb, err := meshmap.WorkerBroker(c, m)
	if err != nil {
		t.Fatal(err)
	}
	dl := wb.DeadLetterer
	e := event.New()
	e.SetID("1")
	e.SetType("t")
	e.SetSource("/s")
	msg, err := broker.EncodeMsg("events.t", &e)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info := broker.DeadLetterInfo{Function: "f", Attempts: 2, Reason: "boom", Subject: "events.t"}
	if _, err := dl.DeadLetter(ctx, msg.Header, msg.Data, info, "dl-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := dl.DeadLetter(ctx, nil, []byte("not an event"), info, "dl-2"); err != nil {
		t.Fatal(err)
	}
	var got []broker.DeadLetter
	if err := meshmaptest.DeadLetterQueue(t, c, m).List(ctx, "f", time.Time{}, func(d broker.DeadLetter) bool { got = append(got, d); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Event == nil || got[0].Event.ID() != "1" || got[0].Reason != "boom" || got[1].Event != nil || got[1].Err == nil {
		t.Errorf("dead letters %+v", got)
	}
}

func TestConn(t *testing.T) {
	n := workerenv.NATS{URL: "nats://a:4222", User: "u", Password: "p", Token: "t", Creds: "c", NKey: "k", CA: "ca", Cert: "crt", Key: "key", TLSFirst: true}
	want := broker.ConnConfig{URL: "nats://a:4222", User: "u", Password: "p", Token: "t", Creds: "c", NKey: "k", CA: "ca", Cert: "crt", Key: "key", TLSFirst: true}
	if got := meshmap.Conn(n); got != want {
		t.Errorf("Conn = %+v, want %+v", got, want)
	}
}

// names lists the functions of f.
func names(f meshmap.Functions) []string {
	out := make([]string, len(f.Workloads))
	for i, w := range f.Workloads {
		out[i] = w.Function
	}
	return out
}
