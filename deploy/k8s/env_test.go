package k8s

import (
	"errors"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers/kube"
)

// secretsMesh declares secrets `up` holds (ingest token, route token,
// webhook secret) and functions with their own env.
const secretsMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shop }
ingest: { tokenRef: { env: FNMESH_TEST_INGEST_TOKEN } }
triggers:
  - name: orders
    http: { path: /orders, method: POST, tokenRef: { env: FNMESH_TEST_ROUTE_TOKEN } }
    emit: { type: com.example.order.created, source: /shop }
  - name: github
    webhook: { provider: github, path: /hooks/github, secretRef: { env: FNMESH_TEST_WEBHOOK_SECRET } }
functions:
  - name: fulfil
    run: { image: shop/fulfil:1 }
    env: { SHOP_REGION: eu-west-1 }
  - name: notify
    run: { http: { url: "http://notify.shop.svc:8080/" } }
`

// TestRenderedWorkersGetOnlyTheirOwnEnv: the pods of a function get the
// worker contract, OTEL_SERVICE_NAME and the log format, and their own
// env; no secret of the mesh or of the rendering process, and no variable
// Kubernetes would add (service links, a service account token).
func TestRenderedWorkersGetOnlyTheirOwnEnv(t *testing.T) {
	secrets := map[string]string{
		"FNMESH_TEST_INGEST_TOKEN": "ingest-token-value", "FNMESH_TEST_ROUTE_TOKEN": "route-token-value",
		"FNMESH_TEST_WEBHOOK_SECRET": "webhook-secret-value", "FNMESH_TOKEN": "fnmesh-token-value",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	m, err := meshmap.Parse("mesh.yaml", []byte(secretsMesh))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Render(m, RenderOptions{MeshYAML: []byte(secretsMesh)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range secrets {
		if strings.Contains(string(b), v) {
			t.Errorf("the value of %s is in the manifests", name)
		}
	}
	// The contract; the NATS credentials come from the NATS Secret
	// (secretKeyRef), as every worker needs them.
	contract := []string{"FNMESH_FILE", "FNMESH_FUNCTION", "FNMESH_HEALTH_ADDR", "FNMESH_LOG_FORMAT", "FNMESH_REPLICA",
		"FNMESH_SHUTDOWN_TIMEOUT", "NATS_PASSWORD", "NATS_TOKEN", "NATS_URL", "NATS_USER", "OTEL_SERVICE_NAME"}
	own := map[string][]string{"fulfil": {"SHOP_REGION"}, "notify": nil}
	d := decodeStrict(t, b)
	// The functions' Deployments (the triggers and the scaler have their
	// own, with the secrets they need).
	byName := map[string]appsv1.Deployment{}
	for _, dep := range d.deployments {
		byName[dep.Name] = dep
	}
	for _, f := range m.Functions {
		fn := f.Name
		dep, ok := byName[kube.DeploymentName(fn)]
		if !ok {
			t.Fatalf("no Deployment for function %s", fn)
		}
		ps := dep.Spec.Template.Spec
		c := ps.Containers[0]
		var names []string
		for _, e := range c.Env {
			names = append(names, e.Name)
		}
		want := slices.Sorted(slices.Values(append(slices.Clone(contract), own[fn]...)))
		if got := slices.Sorted(slices.Values(names)); !slices.Equal(got, want) {
			t.Errorf("%s: env %q, want %q", fn, got, want)
		}
		if len(c.EnvFrom) > 0 {
			t.Errorf("%s: envFrom %+v, want none", fn, c.EnvFrom)
		}
		if ps.EnableServiceLinks == nil || *ps.EnableServiceLinks {
			t.Errorf("%s: service links on: Kubernetes would add every Service's variables", fn)
		}
		if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
			t.Errorf("%s: the service account token is mounted", fn)
		}
	}

	// A function's secretEnv holds secrets of up's machine: not rendered.
	withSecret := strings.Replace(secretsMesh, "env: { SHOP_REGION: eu-west-1 }",
		"env: { SHOP_REGION: eu-west-1 }\n    secretEnv: { STRIPE_KEY: { env: FNMESH_TOKEN } }", 1)
	m, err = meshmap.Parse("mesh.yaml", []byte(withSecret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Render(m, RenderOptions{MeshYAML: []byte(withSecret)}); !errors.Is(err, ErrUnsupported) ||
		!strings.Contains(err.Error(), "functions[0] (fulfil).secretEnv") {
		t.Errorf("Render with secretEnv: %v, want ErrUnsupported naming functions[0] (fulfil).secretEnv", err)
	}
}
