package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

func TestClusterConfig(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     config.ClusterEnv
		secret  string
		routes  int
		wantErr string
	}{
		{name: "secret from the environment", env: config.ClusterEnv{ClusterName: "c", ClusterSecret: "x", ClusterRoutes: []string{"nats-route://a:1", " ", ""}}, secret: "x", routes: 1},
		{name: "secret from a file, trimmed", env: config.ClusterEnv{ClusterName: "c", ClusterSecretFile: secretFile}, secret: "s3cret"},
		{name: "both", env: config.ClusterEnv{ClusterName: "c", ClusterSecret: "x", ClusterSecretFile: secretFile}, wantErr: "set one, not both"},
		{name: "missing file", env: config.ClusterEnv{ClusterName: "c", ClusterSecretFile: filepath.Join(dir, "nope")}, wantErr: "FNMESH_CLUSTER_SECRET_FILE"},
		{name: "empty file", env: config.ClusterEnv{ClusterName: "c", ClusterSecretFile: empty}, wantErr: "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := clusterConfig(config.Env{ClusterEnv: tt.env})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil || c.Secret != tt.secret || len(c.Routes) != tt.routes {
				t.Fatalf("%+v, %v; want secret %q and %d routes", c, err, tt.secret, tt.routes)
			}
		})
	}
}

func TestClusterRefusedWithNATSURL(t *testing.T) {
	c := Config{Env: config.Env{ClusterEnv: config.ClusterEnv{ClusterName: "c"}}, NATS: workerenv.NATS{URL: "nats://x:4222"}}
	errs := c.clusterErrors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "FNMESH_CLUSTER_NAME") {
		t.Fatalf("clusterErrors = %v, want FNMESH_CLUSTER_NAME named", errs)
	}
	if got := clusterReplicas(5); got != 3 {
		t.Errorf("clusterReplicas(5) = %d, want 3", got)
	}
	if got := clusterReplicas(2); got != 2 {
		t.Errorf("clusterReplicas(2) = %d, want 2", got)
	}
}
