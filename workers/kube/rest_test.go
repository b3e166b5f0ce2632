package kube

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiServer is a small Kubernetes API on loopback: one Deployment's scale
// subresource, pods, and Leases with resourceVersion checks, answering as
// the API server does (JSON, Status bodies on errors). It records every
// request's method, path, content type and bearer token.
type apiServer struct {
	t        *testing.T
	mu       sync.Mutex
	replicas int32
	pods     []Pod
	lease    map[string]any // stored Lease, as JSON
	rv       int
	reqs     []string
}

func status(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	s.reqs = append(s.reqs, fmt.Sprintf("%s %s?%s %s %s", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization")))
	w.Header().Set("Content-Type", "application/json")
	const lease = "/apis/coordination.k8s.io/v1/namespaces/shop/leases"
	switch {
	case r.Method == http.MethodPatch && r.URL.Path == "/apis/apps/v1/namespaces/shop/deployments/fnmesh-a/scale":
		var p struct {
			Spec struct{ Replicas int32 } `json:"spec"`
		}
		if err := json.Unmarshal(body, &p); err != nil || r.Header.Get("Content-Type") != "application/merge-patch+json" {
			status(w, 400, "BadRequest", "bad patch")
			return
		}
		s.replicas = p.Spec.Replicas
		fmt.Fprintf(w, `{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"fnmesh-a","namespace":"shop","generation":7},"spec":{"replicas":%d}}`, s.replicas)
	case r.Method == http.MethodPatch:
		status(w, 404, "NotFound", `deployments.apps "x" not found`)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces/shop/pods":
		if sel := r.URL.Query().Get("labelSelector"); sel != Selector("a") {
			status(w, 400, "BadRequest", "selector "+sel)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "PodList", "apiVersion": "v1", "items": s.pods})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/namespaces/shop/pods/"):
		for _, p := range s.pods {
			if p.Metadata.Name == strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/shop/pods/") {
				_ = json.NewEncoder(w).Encode(p)
				return
			}
		}
		status(w, 404, "NotFound", "pods not found")
	case r.Method == http.MethodDelete:
		var o map[string]any
		_ = json.Unmarshal(body, &o)
		name := strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/shop/pods/")
		for i, p := range s.pods {
			if p.Metadata.Name != name {
				continue
			}
			if pre, _ := o["preconditions"].(map[string]any); pre != nil && pre["uid"] != p.Metadata.UID {
				status(w, 409, "Conflict", "uid precondition failed")
				return
			}
			s.pods = append(s.pods[:i], s.pods[i+1:]...)
			_, _ = w.Write([]byte(`{"kind":"Status","status":"Success"}`))
			return
		}
		status(w, 404, "NotFound", "pods not found")
	case r.URL.Path == lease+"/fnmesh-scaler" && r.Method == http.MethodGet:
		if s.lease == nil {
			status(w, 404, "NotFound", `leases.coordination.k8s.io "fnmesh-scaler" not found`)
			return
		}
		_ = json.NewEncoder(w).Encode(s.lease)
	case r.URL.Path == lease && r.Method == http.MethodPost, r.URL.Path == lease+"/fnmesh-scaler" && r.Method == http.MethodPut:
		var l map[string]any
		if err := json.Unmarshal(body, &l); err != nil || l["kind"] != "Lease" || l["apiVersion"] != "coordination.k8s.io/v1" {
			status(w, 400, "BadRequest", "not a Lease: "+string(body))
			return
		}
		md := l["metadata"].(map[string]any)
		switch {
		case r.Method == http.MethodPost && s.lease != nil:
			status(w, 409, "AlreadyExists", "lease exists")
			return
		case r.Method == http.MethodPut && (s.lease == nil || md["resourceVersion"] != s.lease["metadata"].(map[string]any)["resourceVersion"]):
			status(w, 409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again")
			return
		}
		s.rv++
		md["resourceVersion"] = fmt.Sprint(s.rv)
		s.lease = l
		_ = json.NewEncoder(w).Encode(l)
	default:
		status(w, 404, "NotFound", "no route "+r.URL.Path)
	}
}

func newAPI(t *testing.T) (*apiServer, *REST) {
	t.Helper()
	s := &apiServer{t: t}
	srv := httptest.NewTLSServer(s)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("tok-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := pemOf(t, srv)
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: test
clusters:
- name: c
  cluster: { server: %q, certificate-authority: ca.crt }
contexts:
- name: test
  context: { cluster: c, user: u }
users:
- name: u
  user: { tokenFile: token }
`, srv.URL)
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadKubeconfig(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewREST(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

// The REST client scales, lists, reads and deletes over TLS with the
// kubeconfig's CA and token, and maps the API's Status errors.
func TestRESTRuntimeCalls(t *testing.T) {
	s, r := newAPI(t)
	now := time.Now().UTC().Truncate(time.Second)
	s.pods = []Pod{{Metadata: ObjectMeta{Name: "fnmesh-a-1", UID: "u1", CreationTimestamp: now, Labels: map[string]string{LabelName: WorkerName}}, Status: PodStatus{Phase: PodRunning, StartTime: &now}}}
	ctx := context.Background()

	sc, err := r.ScaleDeployment(ctx, "shop", "fnmesh-a", 3)
	if err != nil || sc.Spec.Replicas != 3 || sc.Metadata.Generation != 7 || s.replicas != 3 {
		t.Fatalf("scale = %+v, %v (server has %d)", sc, err, s.replicas)
	}
	if _, err := r.ScaleDeployment(ctx, "shop", "x", 1); !IsNotFound(err) || !strings.Contains(err.Error(), `deployments.apps "x" not found`) {
		t.Errorf("scale of a missing deployment: err = %v, want NotFound with the server's message", err)
	}
	pods, err := r.ListPods(ctx, "shop", Selector("a"))
	if err != nil || len(pods) != 1 || pods[0].Metadata.Name != "fnmesh-a-1" || !pods[0].Status.StartTime.Equal(now) || pods[0].Status.Phase != PodRunning {
		t.Fatalf("list = %+v, %v", pods, err)
	}
	if err := r.DeletePod(ctx, "shop", "fnmesh-a-1", DeleteOptions{PreconditionUID: "other"}); !IsConflict(err) {
		t.Errorf("delete with a stale uid: err = %v, want Conflict", err)
	}
	g := int64(3)
	if err := r.DeletePod(ctx, "shop", "fnmesh-a-1", DeleteOptions{PreconditionUID: "u1", GracePeriodSeconds: &g}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetPod(ctx, "shop", "fnmesh-a-1"); !IsNotFound(err) {
		t.Errorf("get of a deleted pod: err = %v, want NotFound", err)
	}
	for _, q := range s.reqs {
		if !strings.HasSuffix(q, "Bearer tok-1") {
			t.Errorf("request %q: no bearer token from the kubeconfig's tokenFile", q)
		}
	}
}

// Create, then updates carrying the resourceVersion read: a stale one is
// a Conflict, as the API server answers two candidates racing for a Lease.
func TestRESTLeaseConcurrency(t *testing.T) {
	_, r := newAPI(t)
	ctx := context.Background()
	if _, err := r.GetLease(ctx, "shop", "fnmesh-scaler"); !IsNotFound(err) {
		t.Fatalf("get of no lease: err = %v, want NotFound", err)
	}
	id, secs := "a", int32(15)
	now := MicroTime{Time: time.Now()}
	l, err := r.CreateLease(ctx, &Lease{Metadata: ObjectMeta{Name: "fnmesh-scaler", Namespace: "shop"}, Spec: LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &secs, RenewTime: &now, AcquireTime: &now}})
	if err != nil || l.Metadata.ResourceVersion != "1" || *l.Spec.HolderIdentity != "a" || !l.Spec.RenewTime.Equal(now.Truncate(time.Microsecond)) {
		t.Fatalf("create = %+v, %v", l, err)
	}
	if _, err := r.CreateLease(ctx, l); !IsConflict(err) {
		t.Errorf("second create: err = %v, want 409", err)
	}
	stale := *l
	b := "b"
	l.Spec.HolderIdentity = &b
	if l, err = r.UpdateLease(ctx, l); err != nil || l.Metadata.ResourceVersion != "2" {
		t.Fatalf("update = %+v, %v", l, err)
	}
	if _, err := r.UpdateLease(ctx, &stale); !IsConflict(err) || !strings.Contains(err.Error(), "has been modified") {
		t.Errorf("update with a stale resourceVersion: err = %v, want Conflict", err)
	}
}

func TestKubeconfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"no context", "clusters: []\n", "current-context: required"},
		{"unknown context", "current-context: x\n", `current-context "x": no such context`},
		{"no server", "current-context: t\ncontexts: [{name: t, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {}}]\n", "clusters[c].cluster.server: required"},
		{"exec", "current-context: t\ncontexts: [{name: t, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {exec: {command: aws}}}]\n", "users[u].user.exec: credential plugins are not supported"},
		{"bad ca", "current-context: t\ncontexts: [{name: t, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://k', certificate-authority-data: '!!'}}]\n", "certificate-authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseKubeconfig("kc", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// FuzzKubeconfig: any file is a config or an error, never a panic.
func FuzzKubeconfig(f *testing.F) {
	f.Add([]byte("current-context: t\ncontexts: [{name: t, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {token: x}}]\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseKubeconfig("kc", data)
		if err == nil && cfg.Host == "" {
			t.Fatal("a config without a host")
		}
	})
}

// pemOf is the PEM of srv's certificate.
func pemOf(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	c := srv.Certificate()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
