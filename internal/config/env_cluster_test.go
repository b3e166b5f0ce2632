package config_test

import (
	"slices"
	"testing"

	"github.com/fnmesh/fnmesh/internal/config"
)

func TestLoadEnvCluster(t *testing.T) {
	t.Setenv("FNMESH_CLUSTER_NAME", "shop")
	t.Setenv("FNMESH_CLUSTER_ADDR", "10.0.0.1:6222")
	t.Setenv("FNMESH_CLUSTER_ROUTES", "nats-route://10.0.0.1:6222,nats-route://10.0.0.2:6222")
	t.Setenv("FNMESH_CLUSTER_SECRET", "s3cret")
	t.Setenv("FNMESH_SERVER_NAME", "n1")
	e, err := config.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := config.ClusterEnv{
		ClusterName: "shop", ClusterAddr: "10.0.0.1:6222",
		ClusterRoutes: []string{"nats-route://10.0.0.1:6222", "nats-route://10.0.0.2:6222"},
		ClusterSecret: "s3cret", ServerName: "n1",
	}
	got := e.ClusterEnv
	if got.ClusterName != want.ClusterName || got.ClusterAddr != want.ClusterAddr || !slices.Equal(got.ClusterRoutes, want.ClusterRoutes) ||
		got.ClusterSecret != want.ClusterSecret || got.ServerName != want.ServerName {
		t.Errorf("ClusterEnv = %+v, want %+v", got, want)
	}
	if e.HTTPAddr != "127.0.0.1:8080" {
		t.Errorf("HTTPAddr = %q: the other settings keep their defaults", e.HTTPAddr)
	}
}
