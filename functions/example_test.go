package functions_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/functions"
)

func orderCreated(id string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/shop/api")
	e.SetType("com.example.order.created")
	_ = e.SetData(event.ApplicationJSON, map[string]any{"orderId": id, "items": 2})
	return e
}

func ExampleHandlerFunc() {
	h := functions.HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		var order struct {
			OrderID string `json:"orderId"`
			Items   int    `json:"items"`
		}
		if err := e.DataAs(&order); err != nil {
			return nil, functions.Permanent(err) // bad data: dead-letter, do not retry
		}
		out := event.New()
		out.SetType("com.example.order.fulfilled")
		_ = out.SetData(event.ApplicationJSON, map[string]any{"orderId": order.OrderID, "shipped": order.Items})
		return []event.Event{out}, nil // published, then the input is acknowledged
	})

	out, err := h.Handle(context.Background(), orderCreated("A-1"))
	fmt.Println(err, out[0].Type(), string(out[0].Data()))
	// Output: <nil> com.example.order.fulfilled {"orderId":"A-1","shipped":2}
}

func ExamplePermanent() {
	errNoStock := errors.New("sku discontinued")
	err := fmt.Errorf("reserve stock: %w", functions.Permanent(errNoStock))

	fmt.Println(functions.IsPermanent(err))
	fmt.Println(errors.Is(err, errNoStock))
	fmt.Println(functions.IsPermanent(errors.New("database unavailable")))
	// Output:
	// true
	// true
	// false
}

func ExampleRetryAfter() {
	err := functions.RetryAfter(errors.New("rate limited"), 30*time.Second)

	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		fmt.Println("retry in", r.RetryAfter())
	}
	// Output: retry in 30s
}

func ExampleChain() {
	h := functions.HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		panic("nil order")
	})
	// Recover is the outermost here: the panic becomes a retryable error.
	_, err := functions.Chain(h, functions.Recover(), functions.Logging(slog.New(slog.DiscardHandler))).
		Handle(context.Background(), orderCreated("A-2"))
	fmt.Println(errors.Is(err, functions.ErrPanic), functions.IsPermanent(err))
	// Output: true false
}

func ExampleNewHTTPAdapter() {
	// An HTTP function that answers 429 while it is busy.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("got", r.Header.Get("ce-type"), r.Header.Get("ce-id"))
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()

	_, err := functions.NewHTTPAdapter(srv.URL, nil).Handle(context.Background(), orderCreated("A-3"))
	var r interface{ RetryAfter() time.Duration }
	fmt.Println(functions.IsPermanent(err), errors.As(err, &r), r.RetryAfter())
	// Output:
	// got com.example.order.created A-3
	// false true 5s
}

// ExampleServe runs a replica of the "greet" function against an embedded
// NATS server until its handler has seen one event.
func ExampleServe() {
	dir, _ := os.MkdirTemp("", "fnmesh-example")
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())
	nc, err := srv.Connect("example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()

	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: greet
    filters: [{ exact: { type: com.example.greeting } }]
    startFrom: all # the event below is stored before the function exists
    run: { command: ["greet"] }
`), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	client, _ := broker.New(nc, broker.Config{})
	if err := client.EnsureStreams(context.Background(), broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}}); err != nil {
		fmt.Println(err)
		return
	}
	in := event.New()
	in.SetID("1")
	in.SetSource("/example")
	in.SetType("com.example.greeting")
	_ = in.SetData(event.TextPlain, "hello")
	if _, err := client.Publish(context.Background(), &in); err != nil {
		fmt.Println(err)
		return
	}

	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	h := functions.HandlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
		fmt.Println("handled", e.Type(), string(e.Data()))
		stop() // drain and return, as on SIGTERM
		return nil, nil
	})
	err = functions.Serve(ctx, h,
		functions.WithMeshFile(file), functions.WithFunction("greet"), functions.WithConn(nc),
		functions.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	fmt.Println("serve returned", err)
	// Output:
	// handled com.example.greeting hello
	// serve returned <nil>
}
