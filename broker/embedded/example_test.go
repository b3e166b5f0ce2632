package embedded_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/broker/embedded"
)

func ExampleStart() {
	dir, err := os.MkdirTemp("", "embedded-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// Port 0 picks a free port; the store lives under dir/jetstream.
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	nc, err := srv.Connect("example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	fmt.Println(strings.HasPrefix(srv.ClientURL(), "nats://127.0.0.1:"), nc.IsConnected())
	// Output: true true
}

// The same route list can be given to every node: the node's own route is
// not counted.
func ExampleClusterConfig_Nodes() {
	c := embedded.ClusterConfig{
		Name: "shop",
		Addr: "10.0.0.1:6222",
		Routes: []string{
			"nats-route://10.0.0.1:6222",
			"nats-route://10.0.0.2:6222",
			"nats-route://10.0.0.3:6222",
		},
	}
	fmt.Println(c.Nodes(), c.Clustered())
	// Output: 3 true
}
