package embedded_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/poll"
)

func TestClusterConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  embedded.ClusterConfig
		srv  string
		want string
	}{
		{name: "routes without name", cfg: embedded.ClusterConfig{Routes: []string{"nats-route://a:6222"}}, want: "Cluster.Name: required when"},
		{name: "secret without name", cfg: embedded.ClusterConfig{Secret: "s"}, want: "Cluster.Name: required when"},
		{name: "name with space", cfg: embedded.ClusterConfig{Name: "a b"}, want: "Cluster.Name: must not contain white space"},
		{name: "addr", cfg: embedded.ClusterConfig{Name: "c", Addr: "6222"}, want: `Cluster.Addr: "6222": must be host:port`},
		{name: "route scheme", cfg: embedded.ClusterConfig{Name: "c", Routes: []string{"http://a:6222"}}, want: `Cluster.Routes[0]: "http://a:6222": scheme must be`},
		{name: "route port", cfg: embedded.ClusterConfig{Name: "c", Routes: []string{"nats-route://a:0", "nats-route://b"}}, want: `Cluster.Routes[0]: "nats-route://a:0": port must be`},
		{name: "route without port", cfg: embedded.ClusterConfig{Name: "c", Routes: []string{"nats-route://b"}}, want: `Cluster.Routes[0]: "nats-route://b": must name a host and a port`},
		{name: "server name", cfg: embedded.ClusterConfig{Name: "c"}, srv: "my node", want: `ServerName: must not contain white space`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := embedded.Config{DataDir: "x", ServerName: tt.srv, Cluster: tt.cfg}
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	ok := embedded.Config{DataDir: "x", ServerName: "n1", Cluster: embedded.ClusterConfig{
		Name: "c", Addr: "127.0.0.1:6222", Routes: []string{"nats-route://10.0.0.2:6222", "nats://u:p@h3:7222", "tls://h4:6222"},
	}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid cluster: %v", err)
	}
}

func TestClusterNodes(t *testing.T) {
	routes := []string{"nats-route://127.0.0.1:6222", "nats-route://127.0.0.1:6223", "nats-route://127.0.0.1:6224"}
	tests := []struct {
		name string
		cfg  embedded.ClusterConfig
		want int
	}{
		{name: "no cluster", cfg: embedded.ClusterConfig{}, want: 1},
		{name: "alone", cfg: embedded.ClusterConfig{Name: "c"}, want: 1},
		{name: "own route in the list", cfg: embedded.ClusterConfig{Name: "c", Addr: "127.0.0.1:6222", Routes: routes}, want: 3},
		{name: "peers only", cfg: embedded.ClusterConfig{Name: "c", Addr: "127.0.0.1:6225", Routes: routes}, want: 4},
		{name: "all interfaces, loopback route", cfg: embedded.ClusterConfig{Name: "c", Addr: "0.0.0.0:6223", Routes: routes}, want: 3},
		{name: "default addr", cfg: embedded.ClusterConfig{Name: "c", Routes: []string{"nats-route://localhost:6222", "nats-route://10.1.1.1:6222"}}, want: 2},
		{name: "duplicates count once", cfg: embedded.ClusterConfig{Name: "c", Addr: "10.0.0.1:6222", Routes: []string{"nats-route://H2:6222", "nats-route://h2:6222"}}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.Nodes(); got != tt.want {
				t.Errorf("Nodes() = %d, want %d", got, tt.want)
			}
		})
	}
}

// Three embedded servers form a JetStream cluster: an R3 stream is stored
// on every node, keeps its messages when its leader stops, and the meta
// group reports every peer.
func TestClusterR3Stream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	cl := brokertest.Cluster(t, 3)
	nc, err := nats.Connect(cl.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := js.Publish(ctx, "r3.x", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ci := cl.Node(0).Cluster()
	if ci.Name != "test" || ci.Server != "n1" || len(ci.Peers) != 3 || ci.MetaLeader == "" {
		t.Fatalf("Cluster() = %+v, want cluster test, server n1, 3 peers and a meta leader", ci)
	}
	info, err := js.Stream(ctx, "R3")
	if err != nil {
		t.Fatal(err)
	}
	si, err := info.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leader := si.Cluster.Leader
	idx := map[string]int{"n1": 0, "n2": 1, "n3": 2}[leader]
	cl.Stop(idx)
	poll.Until(t, 20*time.Second, "a new stream leader with every message", func() bool {
		ictx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		si, err := info.Info(ictx)
		return err == nil && si.Cluster.Leader != "" && si.Cluster.Leader != leader && si.State.Msgs == 10
	})
	cl.Restart(idx)
	cl.WaitJetStream()
	if cl.Node(idx).ClusterAddr() == nil {
		t.Error("ClusterAddr() = nil on a cluster node")
	}
}

// A single server is not a cluster and needs no meta leader.
func TestSingleServerCluster(t *testing.T) {
	s := brokertest.Server(t, "")
	if ci := s.Cluster(); ci.Name != "" || ci.Server != embedded.DefaultServerName || len(ci.Peers) != 0 {
		t.Errorf("Cluster() = %+v, want a lone server named %q", ci, embedded.DefaultServerName)
	}
	if err := s.WaitJetStream(context.Background()); err != nil {
		t.Error(err)
	}
	if s.ClusterAddr() != nil {
		t.Errorf("ClusterAddr() = %v, want nil", s.ClusterAddr())
	}
}
