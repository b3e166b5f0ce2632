package k8s

import (
	"errors"
	"strings"
	"testing"
)

// What cannot run on Kubernetes is refused, every case named with its
// field and reason, and nothing is rendered.
func TestRenderUnsupported(t *testing.T) {
	m := load(t, "local.mesh.yaml")
	objs, err := Render(m, RenderOptions{})
	if !errors.Is(err, ErrUnsupported) || objs != nil {
		t.Fatalf("Render = %d objects, %v; want none and ErrUnsupported", len(objs), err)
	}
	for _, want := range []string{
		`ingest.tokenRef.value: an inline secret would be written into the mesh ConfigMap`,
		`use env: NAME (key NAME of Secret fnmesh-triggers)`,
		`triggers[0] (hook).webhook.secretRef.file "/etc/host/secret": outside the mesh file's directory`,
		`functions[1] (local-one).run.command ["./bin/one"]: a local program`,
		`set kubernetes.image`,
		`functions[2] (local-exec).run.exec ["sh" "./two.sh"]: the fnmesh image holds no programs (not even a shell)`,
		`adds "sh"`,
		`functions[3] (big).kubernetes.resources.limits.memory "lots": must be a non-negative Kubernetes quantity`,
		`functions[4] (triggers): its Deployment would be fnmesh-triggers, the name of fnmesh's own: rename the function`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q\nwant it to mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "(ok)") {
		t.Errorf("err names the function that can run: %v", err)
	}

	big := load(t, "local.mesh.yaml")
	big.Functions[3].Kubernetes.Resources.Limits = map[string]string{"cpu": "1"}
	big.Functions = big.Functions[3:4]
	big.Ingest.TokenRef, big.Triggers = nil, nil
	if _, err := Render(big, RenderOptions{}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "requests.cpu: 2 is more than the limit 1") {
		t.Errorf("request above limit: err = %v", err)
	}
}

func TestRenderOptionErrors(t *testing.T) {
	shop := load(t, "shop.mesh.yaml")
	tests := []struct {
		name string
		opts RenderOptions
		want string
	}{
		{"namespace", RenderOptions{Namespace: "Shop_NS"}, `namespace "Shop_NS"`},
		{"config map", RenderOptions{ConfigMapName: "-x"}, `configMapName "-x"`},
		{"nats secret", RenderOptions{NATSSecret: "Nats"}, `natsSecret "Nats"`},
		{"triggers secret", RenderOptions{TriggersSecret: "a_b"}, `triggersSecret "a_b"`},
		{"keda auth secret", RenderOptions{KEDAAuthSecret: "A"}, `kedaAuthSecret "A"`},
		{"pull policy", RenderOptions{ImagePullPolicy: "Sometimes"}, `imagePullPolicy "Sometimes": must be Always, IfNotPresent or Never`},
		{"scaler", RenderOptions{Scaler: "hpa"}, `scaler "hpa": must be fnmesh or keda`},
		{"replicas", RenderOptions{ScalerReplicas: -1}, `replicas "-1": must not be negative`},
		{"monitoring", RenderOptions{NATSMonitoringEndpoint: "nats"}, `natsMonitoringEndpoint "nats": must be host:port`},
		{"account", RenderOptions{KEDAAccount: "a b"}, `kedaAccount "a b": must be a NATS account name`},
		{"image", RenderOptions{Image: "fnmesh dev"}, `image "fnmesh dev": must not contain white space`},
		{"big mesh", RenderOptions{MeshYAML: make([]byte, 2<<20)}, "a ConfigMap holds at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(shop, tt.opts)
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			}
		})
	}

	noFile := *shop
	noFile.File = ""
	if _, err := Render(&noFile, RenderOptions{}); !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "MeshYAML") {
		t.Errorf("no file, no MeshYAML: err = %v", err)
	}
	if _, err := Render(nil, RenderOptions{}); err == nil {
		t.Error("nil mesh: no error")
	}
}
