package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/telemetry/telemetrytest"
)

// TestOneTraceThroughEveryKindOfFunction runs the real binaries: `fnmesh
// up` with an HTTP route, a Go function (functions/examples/fulfil-order,
// its own process), a run.http function posting to a server in this test,
// and a run.exec function, every process exporting through the real OTLP
// exporters configured from OTEL_* to a receiver on loopback. One order
// sent with a traceparent must come back as ONE trace holding every hop,
// each span the child of the one before; the HTTP request carries the
// client span in traceparent; the exec program gets TRACEPARENT. A second,
// invalid order leaves a failed process span with error.type.
func TestOneTraceThroughEveryKindOfFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fnmesh binary and a Go function")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fnmesh")
	fulfil := filepath.Join(dir, "fulfil-order")
	for out, pkg := range map[string]string{bin: ".", fulfil: "../../functions/examples/fulfil-order"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	recv := telemetrytest.NewOTLPReceiver(t)

	// The run.http function's endpoint: it answers each event with a
	// com.example.echoed event and keeps the traceparent it was sent.
	var mu sync.Mutex
	var echoTraceparents []string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		echoTraceparents = append(echoTraceparents, r.Header.Get("Traceparent"))
		mu.Unlock()
		w.Header().Set("Ce-Specversion", "1.0")
		w.Header().Set("Ce-Id", "echo-"+r.Header.Get("Ce-Id"))
		w.Header().Set("Ce-Source", "/test/echo")
		w.Header().Set("Ce-Type", "com.example.echoed")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"echo":true}`))
	}))
	defer echo.Close()

	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	mesh := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(mesh, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: tracetest }
triggers:
  - name: orders-api
    http: { path: /orders, method: POST }
    emit: { type: com.example.order.created, source: /shop/api }
functions:
  - name: fulfil-order
    filters: [{ exact: { type: com.example.order.created } }]
    run: { command: ["`+fulfil+`"] }
    delivery: { retry: 0 }
    scaling: { minReplicaCount: 1, maxReplicaCount: 1 }
  - name: echo
    filters: [{ exact: { type: com.example.order.fulfilled } }]
    run: { http: { url: "`+echo.URL+`/" } }
    scaling: { minReplicaCount: 1, maxReplicaCount: 1 }
  - name: ship
    filters: [{ exact: { type: com.example.echoed } }]
    run: { exec: ["sh", "-c", 'printf "%s" "$TRACEPARENT" > "$OUT/.$FNMESH_EVENT_ID" && mv "$OUT/.$FNMESH_EVENT_ID" "$OUT/$FNMESH_EVENT_ID"'] }
    env: { OUT: `+out+` }
    scaling: { minReplicaCount: 1, maxReplicaCount: 1 }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := append(slicesWithout(os.Environ(), "OTEL_"),
		"FNMESH_DATA_DIR="+filepath.Join(dir, "data"),
		"FNMESH_HTTP_ADDR="+httpAddr,
		fmt.Sprintf("FNMESH_NATS_PORT=%d", freePort(t)),
		"FNMESH_SHUTDOWN_TIMEOUT=5s",
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"OTEL_EXPORTER_OTLP_ENDPOINT="+recv.URL,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_BSP_SCHEDULE_DELAY=100",
	)
	var logs bytes.Buffer
	up := exec.Command(bin, "up", "-f", mesh)
	up.Env = env
	up.Stdout, up.Stderr = &logs, &logs
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	t.Cleanup(func() {
		_ = up.Process.Kill()
		if t.Failed() {
			t.Logf("fnmesh up output:\n%s", logs.String())
		}
	})
	waitFor(t, 30*time.Second, "readyz", func() bool {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	post := func(traceID, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/orders", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Traceparent", "00-"+traceID+"-051581bf3cb55c13-01")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST /orders: %d", resp.StatusCode)
		}
	}
	const good, bad = "5b8aa5a2d2c872e8321cf37308d69df4", "6c9bb6b3e3d983f9432d048419e70e05"
	post(good, `{"orderId":"A-1","customer":"ada","items":[{"sku":"tea","quantity":2,"priceCents":450}]}`)
	post(bad, `{"orderId":"A-2","items":[]}`)

	// The exec program ran: it wrote the TRACEPARENT it was given.
	var tp string
	waitFor(t, 60*time.Second, "the exec function ran", func() bool {
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				b, _ := os.ReadFile(filepath.Join(out, e.Name()))
				tp = string(b)
				return true
			}
		}
		return false
	})

	// Every hop: span name, service, kind, and the index of its parent
	// (-1: the caller). The event the HTTP function answered with is
	// published under the delivery's process span, beside the client span.
	type hop struct {
		name, service, kind string
		parent              int
	}
	hops := []hop{
		{"POST /orders", "fnmesh", "SPAN_KIND_SERVER", -1},
		{"send events.com.example.order.created", "fnmesh", "SPAN_KIND_PRODUCER", 0},
		{"process fulfil-order", "fulfil-order", "SPAN_KIND_CONSUMER", 1},
		{"send events.com.example.order.fulfilled", "fulfil-order", "SPAN_KIND_PRODUCER", 2},
		{"process echo", "echo", "SPAN_KIND_CONSUMER", 3},
		{"POST", "echo", "SPAN_KIND_CLIENT", 4},
		{"send events.com.example.echoed", "echo", "SPAN_KIND_PRODUCER", 4},
		{"process ship", "ship", "SPAN_KIND_CONSUMER", 6},
	}
	find := func(spans []telemetrytest.Span, h hop) (telemetrytest.Span, bool) {
		for _, s := range spans {
			if s.GetName() == h.name && s.Resource["service.name"] == h.service && s.GetKind().String() == h.kind {
				return s, true
			}
		}
		return telemetrytest.Span{}, false
	}
	describe := func(spans []telemetrytest.Span) []string {
		var names []string
		for _, s := range spans {
			names = append(names, s.GetName()+" ["+s.Resource["service.name"]+" "+s.GetKind().String()+"]")
		}
		sort.Strings(names)
		return names
	}
	var spans []telemetrytest.Span
	complete := func() bool {
		spans = recv.Spans(good)
		for _, h := range hops {
			if _, ok := find(spans, h); !ok {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !complete(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("trace %s lacks hops after 30s; it has: %v", good, describe(spans))
		}
	}
	if errs := recv.Errors(); len(errs) > 0 {
		t.Errorf("receiver refused exports: %v", errs)
	}
	for _, h := range hops {
		s, _ := find(spans, h)
		parent, parentName := "051581bf3cb55c13", "the caller's span"
		if h.parent >= 0 {
			p, _ := find(spans, hops[h.parent])
			parent, parentName = p.ID(), hops[h.parent].name
		}
		if s.ParentID() != parent {
			t.Errorf("%s [%s]: parent %s, want %s (%s)", h.name, h.service, s.ParentID(), parent, parentName)
		}
		for _, k := range []string{"service.version", "service.instance.id"} {
			if s.Resource[k] == "" {
				t.Errorf("%s [%s]: resource has no %s: %v", h.name, h.service, k, s.Resource)
			}
		}
		if strings.HasPrefix(h.name, "process ") && !strings.HasPrefix(s.Attr("messaging.destination.name"), "events.") {
			t.Errorf("%s: messaging.destination.name = %q, want the event's subject", h.name, s.Attr("messaging.destination.name"))
		}
	}
	if len(spans) != len(hops) {
		t.Errorf("trace %s has %d spans, want %d: %v", good, len(spans), len(hops), describe(spans))
	}
	client, _ := find(spans, hops[5])
	mu.Lock()
	got := append([]string(nil), echoTraceparents...)
	mu.Unlock()
	if want := "00-" + good + "-" + client.ID() + "-01"; len(got) != 1 || got[0] != want {
		t.Errorf("traceparents the HTTP function received = %v, want [%s] (its client span)", got, want)
	}
	ship, _ := find(spans, hops[7])
	if want := "00-" + good + "-" + ship.ID() + "-01"; tp != want {
		t.Errorf("TRACEPARENT of the exec program = %q, want %q (its process span)", tp, want)
	}

	// The invalid order: a failed process span with error.type.
	var failed telemetrytest.Span
	waitFor(t, 30*time.Second, "the failed order's process span", func() bool {
		var ok bool
		failed, ok = find(recv.Spans(bad), hops[2])
		return ok
	})
	if failed.GetStatus().GetCode().String() != "STATUS_CODE_ERROR" || failed.Attr("error.type") == "" || failed.Attr("fnmesh.outcome") != "deadletter" {
		t.Errorf("failed span: status %v, error.type %q, outcome %q; want error, a type, deadletter",
			failed.GetStatus(), failed.Attr("error.type"), failed.Attr("fnmesh.outcome"))
	}

	if err := up.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("fnmesh up exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("fnmesh up still running 30s after SIGTERM")
	}
}
