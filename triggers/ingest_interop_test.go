package triggers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// TestSDKHTTPClientToIngest sends events with sdk-go's HTTP client, in
// binary and structured mode, to a real ingest over a real broker. sdk-go
// does not percent-encode binary-mode headers: a '%' that does not start an
// escape and double quotes arrive as sent.
func TestSDKHTTPClientToIngest(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{})
	for i, mode := range []binding.Encoding{binding.EncodingBinary, binding.EncodingStructured} {
		t.Run(mode.String(), func(t *testing.T) {
			p, err := cehttp.New(cehttp.WithTarget(env.url))
			if err != nil {
				t.Fatal(err)
			}
			c, err := cloudevents.NewClient(p)
			if err != nil {
				t.Fatal(err)
			}
			e := event.New()
			e.SetID(fmt.Sprintf("sdk-%d", i))
			e.SetSource("/sdk")
			e.SetType("com.example.sdk")
			e.SetSubject(`100% "sure", 50%off`)
			e.SetExtension("note", `say "hi" 100%`)
			if err := e.SetData("text/plain", "héllo"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if mode == binding.EncodingBinary {
				ctx = binding.WithForceBinary(ctx)
			} else {
				ctx = binding.WithForceStructured(ctx)
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if res := c.Send(ctx, e); !cloudevents.IsACK(res) {
				t.Fatalf("send: %v", res)
			}
			var got *event.Event
			for _, se := range env.stored(t) {
				if se.Event.ID() == e.ID() {
					got = se.Event
				}
			}
			if got == nil {
				t.Fatal("event not stored")
			}
			if got.Subject() != e.Subject() || got.Extensions()["note"] != `say "hi" 100%` ||
				got.DataContentType() != "text/plain" || string(got.Data()) != "héllo" {
				t.Fatalf("stored %v, want %v", got, e)
			}
		})
	}
}

// TestIngestBounds sends events over each bound to a real ingest over a
// real broker: each is answered 400 naming the attribute and the limit
// before anything reaches the server, and the connection survives, so a
// valid event is then stored.
func TestIngestBounds(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{})
	many := binaryHeaders()
	for i := range 10000 {
		many.Set(fmt.Sprintf("Ce-X%d", i), "v")
	}
	tests := []struct {
		name   string
		header http.Header
		attr   string
		limit  int
	}{
		{name: "type of 4050 characters", header: binaryHeaders("ce-type", strings.Repeat("t", 4050)), attr: "type", limit: cebind.MaxTypeBytes},
		{name: "type of 70000 characters", header: binaryHeaders("ce-type", strings.Repeat("t", 70000)), attr: "type", limit: cebind.MaxTypeBytes},
		{name: "id of 100 KB", header: binaryHeaders("ce-id", strings.Repeat("i", 100<<10)), attr: "id", limit: cebind.MaxValueBytes},
		{name: "source of 100 KB", header: binaryHeaders("ce-source", "/"+strings.Repeat("s", 100<<10)), attr: "source", limit: cebind.MaxValueBytes},
		{name: "10000 extensions", header: many, attr: "extensions", limit: cebind.MaxExtensions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ingestDo(t, http.MethodPost, env.url, tt.header, strBody("x"))
			if a.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.300s", a.status, a.body)
			}
			eb := a.errorJSON(t)
			if eb.Attribute != tt.attr || !strings.Contains(eb.Rule, fmt.Sprintf("at most %d", tt.limit)) {
				t.Fatalf("attribute %q rule %q, want %q and the limit %d", eb.Attribute, eb.Rule, tt.attr, tt.limit)
			}
		})
	}
	if n := len(env.stored(t)); n != 0 {
		t.Fatalf("%d events stored, want none", n)
	}
	a := ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "after"), strBody("x"))
	if a.status != http.StatusAccepted {
		t.Fatalf("valid event after the bad ones: status %d: %s", a.status, a.body)
	}
	if !env.nc.IsConnected() {
		t.Fatal("the broker connection did not survive")
	}
}
