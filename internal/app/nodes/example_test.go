package nodes_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/nodes"
)

func ExampleRegistry() {
	dir, _ := os.MkdirTemp("", "nodes-example")
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())
	nc, _ := srv.Connect("example")
	defer nc.Close()
	c, _ := broker.New(nc, broker.Config{})
	ctx := context.Background()
	kv, err := c.KeyValue(ctx, broker.KVConfig{Bucket: nodes.Bucket, TTL: nodes.TTL, Memory: true})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Two nodes of a cluster; the scaler of each is given its registry
	// (scale.WithPeers).
	var regs []*nodes.Registry
	for _, name := range []string{"n2", "n1"} {
		r, err := nodes.New(kv, nodes.Config{Node: name, Heartbeat: time.Second,
			Replicas: func() map[string]int { return map[string]int{"resize": 1} }}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		regs = append(regs, r)
	}
	for _, r := range regs {
		_ = r.Refresh(ctx) // Run does this every heartbeat
	}
	_ = regs[0].Refresh(ctx)
	i, n := regs[0].Place()
	fmt.Printf("n2 is node %d of %d; the other runs %d replica(s) of resize\n", i, n, regs[0].Replicas("resize"))
	// Output: n2 is node 1 of 2; the other runs 1 replica(s) of resize
}
