package app_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

const faultsMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: faults }
triggers:
  - name: orders
    http: { path: /orders, method: POST }
    emit: { type: com.example.order.created, source: /shop }
  - name: github
    webhook: { provider: github, path: /hooks/github, secretRef: { value: s3cret } }
`

// TestBadInputsAgainstUp sends the bad inputs of the failure analysis
// (docs/ARCHITECTURE.md) to a running up, each followed by a count of
// what the stream holds: each is answered 4xx (a raw NATS client without
// credentials is refused), nothing is stored for it, and a valid event is
// stored right after, on the connection every request shares. It logs
// the table with -v.
func TestBadInputsAgainstUp(t *testing.T) {
	a, _, nc := runUpWith(t, faultsMesh, nil)
	base := a.URL()
	ctx := t.Context()
	js, _ := jetstream.New(nc)
	stored := func() uint64 {
		t.Helper()
		st, err := js.Stream(ctx, "EVENTS")
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().State.Msgs
	}

	binary := func(kv ...string) http.Header {
		h := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"e-1"}, "Ce-Source": {"/faults"}, "Ce-Type": {"com.example.ok"}, "Content-Type": {"text/plain"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	many := binary()
	for i := range 10000 {
		many.Set(fmt.Sprintf("Ce-X%d", i), "v")
	}
	gh := webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{[]byte("s3cret")}}
	hook := func(event string, wrong bool) http.Header {
		body := []byte(`{"zen":"x"}`)
		h, err := webhooktest.Sign(gh, body, webhooktest.Options{ID: "d-" + event[:min(len(event), 8)], Event: event})
		if err != nil {
			t.Fatal(err)
		}
		if wrong {
			h.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
		}
		h.Set("Content-Type", "application/json")
		return h
	}
	cases := []struct {
		name, path string
		hdr        http.Header
		body       string
		want       int
	}{
		{"ce-type of 4,100 bytes", "/events", binary("Ce-Type", strings.Repeat("t", 4100)), "x", 400},
		// Headers past the listener's 64 KiB (triggers.DefaultMaxHeaderBytes,
		// which bounds the memory slow clients can hold) are refused by the
		// HTTP server itself: 431 Request Header Fields Too Large. Below it,
		// ingest answers 400 naming the attribute and its limit.
		{"ce-type of 70,000 bytes", "/events", binary("Ce-Type", strings.Repeat("t", 70000)), "x", 431},
		{"ce-id of 100 KB", "/events", binary("Ce-Id", strings.Repeat("i", 100<<10)), "x", 431},
		{"ce-source of 100 KB", "/events", binary("Ce-Source", "/"+strings.Repeat("s", 100<<10)), "x", 431},
		{"10,000 extensions", "/events", many, "x", 431},
		{"ce-id of 8 KB", "/events", binary("Ce-Id", strings.Repeat("i", 8<<10)), "x", 400},
		{"200 extensions", "/events", manyExt(binary(), 200), "x", 400},
		{"type with a leading space (structured)", "/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"s-1","source":"/faults","type":" com.example.ok"}`, 400},
		{"not JSON (structured)", "/events", http.Header{"Content-Type": {"application/cloudevents+json"}}, `{"specversion":`, 400},
		{"route: a body of 2 MiB", "/orders", http.Header{"Content-Type": {"application/json"}}, `"` + strings.Repeat("b", 2<<20) + `"`, 413},
		{"webhook: wrong signature", "/hooks/github", hook("push", true), `{"zen":"x"}`, 401},
		{"webhook: signed, X-GitHub-Event of 5,000 bytes", "/hooks/github", hook(strings.Repeat("e", 5000), false), `{"zen":"x"}`, 400},
	}
	t.Logf("| input | answer | stored |")
	for _, tt := range cases {
		before := stored()
		req, _ := http.NewRequest(http.MethodPost, base+tt.path, strings.NewReader(tt.body))
		req.Header = tt.hdr
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		after := stored()
		t.Logf("| %s | %d | %d |", tt.name, resp.StatusCode, after-before)
		if resp.StatusCode != tt.want || after != before {
			t.Errorf("%s: %d and %d stored, want %d and nothing stored", tt.name, resp.StatusCode, after-before, tt.want)
		}
		// The shared connection still stores a valid event.
		req, _ = http.NewRequest(http.MethodPost, base+"/events", strings.NewReader("ok"))
		req.Header = binary("Ce-Id", "valid-after-"+tt.name)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || stored() != after+1 {
			t.Fatalf("valid event after %s: %d, want 202 and stored", tt.name, resp.StatusCode)
		}
	}

	// NATS: a raw client without the data directory's credentials.
	before := stored()
	if raw, err := nats.Connect(a.NATSURL()); err == nil {
		_ = raw.Publish("events.com.example.raw", []byte("x"))
		raw.Close()
		t.Errorf("raw NATS client without credentials connected")
	} else {
		t.Logf("| NATS: publish without credentials | refused (%v) | %d |", err, stored()-before)
	}
	if stored() != before {
		t.Errorf("a raw publish was stored")
	}
}

// manyExt adds n extension headers to h.
func manyExt(h http.Header, n int) http.Header {
	for i := range n {
		h.Set(fmt.Sprintf("Ce-Ext%d", i), "v")
	}
	return h
}
