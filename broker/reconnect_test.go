package broker_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// TestServerSideDisconnectReconnects: the server drops a connection over a
// protocol error (a control line over its 4096-byte limit, "Maximum
// Control Line Exceeded"), after which nats.go alone would close it for
// good. The connections of up (in process) and of workers (broker.Connect,
// TCP) reconnect instead, and publish again.
func TestServerSideDisconnectReconnects(t *testing.T) {
	srv := brokertest.SecureServer(t, "")
	brokertest.Client(t, srv) // the streams
	creds, _ := srv.Credentials()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dial := map[string]func(opts ...nats.Option) (*nats.Conn, error){
		"in-process": func(opts ...nats.Option) (*nats.Conn, error) { return srv.Connect("up", opts...) },
		"tcp": func(opts ...nats.Option) (*nats.Conn, error) {
			return broker.Connect(ctx, broker.ConnConfig{URL: srv.ClientURL(), User: creds.User, Password: creds.Password}, "worker", opts...)
		},
	}
	for name, connect := range dial {
		t.Run(name, func(t *testing.T) {
			var disconnects, reconnects, closed atomic.Int32
			nc, err := connect(
				nats.DisconnectErrHandler(func(*nats.Conn, error) { disconnects.Add(1) }),
				nats.ReconnectHandler(func(*nats.Conn) { reconnects.Add(1) }),
				nats.ClosedHandler(func(*nats.Conn) { closed.Add(1) }),
				nats.ReconnectWait(50*time.Millisecond),
			)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			c, err := broker.New(nc, broker.Config{})
			if err != nil {
				t.Fatal(err)
			}
			publish := func(id string) error {
				e := event.New()
				e.SetID(id)
				e.SetSource("/reconnect")
				e.SetType("com.example.reconnect")
				_, err := c.Publish(ctx, &e)
				return err
			}
			if err := publish("before"); err != nil {
				t.Fatal(err)
			}
			// What a caller that escaped every bound would send.
			_ = nc.Publish("events."+strings.Repeat("x", 5000), []byte("boom"))
			_ = nc.Flush()
			poll.Until(t, 10*time.Second, "the server's disconnect seen and the connection back", func() bool {
				return disconnects.Load() > 0 && reconnects.Load() > 0 && nc.IsConnected()
			})
			if closed.Load() != 0 || nc.IsClosed() {
				t.Fatalf("connection closed for good (last error %v)", nc.LastError())
			}
			if err := publish("after"); err != nil {
				t.Fatalf("publish after the reconnect: %v", err)
			}
		})
	}
}
