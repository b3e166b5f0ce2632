package triggers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// printer is an EventPublisher that prints what it would store.
type printer struct{}

func (printer) Publish(_ context.Context, e *event.Event) (broker.Ack, error) {
	fmt.Printf("publish id=%s type=%s source=%s\n", e.ID(), e.Type(), e.Source())
	return broker.Ack{Stream: "EVENTS", Sequence: 1}, nil
}

// The mesh's triggers behind one handler, stored by an embedded broker.
func ExampleNewMux() {
	dir, _ := os.MkdirTemp("", "fnmesh-example")
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())
	nc, _ := srv.Connect("example")
	defer nc.Close()
	client, _ := broker.New(nc, broker.Config{})

	mesh := &config.Mesh{}
	mesh.SetDefaults() // the EVENTS stream on events.>
	if err := client.EnsureStreams(context.Background(), meshmap.Streams(mesh)...); err != nil {
		fmt.Println(err)
		return
	}
	mux, err := triggers.NewMux(triggers.MuxConfig{
		Routes: []triggers.RouteConfig{{
			Name: "orders-api",
			Path: "/orders",
			Emit: triggers.Emit{Type: "com.example.order.created", Source: "/shop/api"},
		}},
	}, client)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux.Handle("GET /livez", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	hs := httptest.NewServer(mux)
	defer hs.Close()

	for _, path := range []string{"/orders", "/nowhere"} {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+path, strings.NewReader(`{"sku":"A1"}`))
		req.Header.Set("Idempotency-Key", "order-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %d %s", path, resp.StatusCode, body)
	}
	// Output:
	// /orders 202 {"id":"order-1"}
	// /nowhere 404 {"error":"no trigger at /nowhere"}
}

// A cron trigger's ticks across the spring-forward change in Berlin: the
// 02:30 that does not exist fires when the clock jumps to 03:00.
func ExampleCron_Next() {
	c, err := triggers.NewCron(triggers.CronConfig{
		Name:     "nightly",
		Schedule: "30 2 * * *",
		Timezone: "Europe/Berlin",
		Emit:     triggers.Emit{Type: "com.example.report.requested"},
	}, printer{})
	if err != nil {
		fmt.Println(err)
		return
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2025, 3, 28, 12, 0, 0, 0, berlin)
	for range 3 {
		at = c.Next(at)
		fmt.Println(at.Format(time.RFC3339))
	}
	// Output:
	// 2025-03-29T02:30:00+01:00
	// 2025-03-30T03:00:00+02:00
	// 2025-03-31T02:30:00+02:00
}

// A GitHub webhook: verified, turned into an event named after the
// delivery, and stored once.
func ExampleNewHook() {
	hook, err := triggers.NewHook(triggers.HookConfig{
		Name: "github",
		Path: "/hooks/github",
		Webhook: webhook.Config{
			Provider: "github",
			Secrets:  [][]byte{[]byte("example-secret")},
		},
	}, printer{})
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"action":"opened"}`)
	hdr, _ := webhooktest.Sign(webhook.Config{Provider: "github", Secrets: [][]byte{[]byte("example-secret")}}, body,
		webhooktest.Options{ID: "delivery-7", Event: "pull_request"})
	req := httptest.NewRequest(http.MethodPost, "/hooks/github", strings.NewReader(string(body)))
	req.Header = hdr
	rec := httptest.NewRecorder()
	hook.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// publish id=delivery-7 type=github.pull_request.opened source=/fnmesh/triggers/github
	// 202 {"id":"delivery-7"}
}
