package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/kube"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// exampleMesh is the example of the repository, rendered as a new user
// would (its golden output is testdata/example.golden.yaml).
const exampleMesh = "../../functions/examples/mesh.yaml"

// goldenCases render testdata/<mesh> (or the example) with opts into
// testdata/<name>.golden.yaml: input and output side by side.
var goldenCases = []struct {
	name, mesh string
	opts       RenderOptions
}{
	{name: "shop", mesh: "shop.mesh.yaml", opts: RenderOptions{Namespace: "shop"}},
	{name: "shop-keda", mesh: "shop.mesh.yaml", opts: RenderOptions{
		Namespace: "shop", Image: "registry.example.com/fnmesh:0.3.0", ConfigMapName: "shop-mesh",
		ImagePullPolicy: corev1.PullAlways, Scaler: ScalerKEDA, NATSMonitoringEndpoint: "nats.messaging.svc:8222",
	}},
	{name: "secrets", mesh: "secrets.mesh.yaml", opts: RenderOptions{
		Namespace: "shop", NATSSecret: "shop-nats", NATSCreds: true, NATSCA: true, NATSClientCert: true,
		TriggersSecret: "shop-triggers", TriggersReplicas: 2,
	}},
	{name: "secrets-keda", mesh: "secrets.mesh.yaml", opts: RenderOptions{
		Namespace: "shop", Scaler: ScalerKEDA, KEDAAccount: "SHOP", KEDAUseHTTPS: true, KEDAAuthSecret: "nats-monitoring",
	}},
	{name: "example", mesh: exampleMesh, opts: RenderOptions{Namespace: "shop"}},
}

func load(t testing.TB, name string) *config.Mesh {
	t.Helper()
	path := name
	if !strings.Contains(name, "/") {
		path = filepath.Join("testdata", name)
	}
	m, err := meshmap.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func render(t testing.TB, mesh string, o RenderOptions) []byte {
	t.Helper()
	objs, err := Render(load(t, mesh), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRenderGolden(t *testing.T) {
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.mesh, tt.opts)
			path := filepath.Join("testdata", tt.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendered manifests differ from %s (run with -update to accept):\n%s", path, got)
			}
		})
	}
}

// splitDocs splits a multi-document YAML stream.
func splitDocs(t testing.TB, b []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var docs [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
}

func TestRenderDecodesStrictly(t *testing.T) {
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			m := load(t, tt.mesh)
			d := decodeStrict(t, render(t, tt.mesh, tt.opts))
			fns := len(m.Functions)
			keda := tt.opts.Scaler == ScalerKEDA
			// Functions, the triggers and (without KEDA) the scaler.
			wantDeps := fns + 1 + map[bool]int{true: 0, false: 1}[keda]
			if len(d.configMaps) != 1 || len(d.deployments) != wantDeps || len(d.services) != fns+1 {
				t.Errorf("got %d ConfigMaps, %d Deployments, %d Services; want 1, %d, %d", len(d.configMaps), len(d.deployments), len(d.services), wantDeps, fns+1)
			}
			if want := map[bool]int{true: fns, false: 0}[keda]; len(d.scaledObjects) != want {
				t.Errorf("got %d ScaledObjects, want %d", len(d.scaledObjects), want)
			}
			if want := map[bool]int{true: 0, false: 1}[keda]; len(d.serviceAccounts) != want || len(d.roles) != want || len(d.roleBindings) != want {
				t.Errorf("got %d ServiceAccounts, %d Roles, %d RoleBindings; want %d each", len(d.serviceAccounts), len(d.roles), len(d.roleBindings), want)
			}
			if want := map[bool]int{true: 1, false: 0}[keda && tt.opts.KEDAAuthSecret != ""]; len(d.triggerAuths) != want {
				t.Errorf("got %d TriggerAuthentications, want %d", len(d.triggerAuths), want)
			}
		})
	}
	t.Run("a misspelled field fails", func(t *testing.T) {
		for _, c := range []struct{ doc, field string }{{"Deployment", "revisionHistoryLimit:"}, {"ScaledObject", "cooldownPeriod:"}} {
			var doc []byte
			for _, d := range splitDocs(t, render(t, "shop.mesh.yaml", RenderOptions{Scaler: ScalerKEDA})) {
				if bytes.Contains(d, []byte("kind: "+c.doc+"\n")) {
					doc = d
					break
				}
			}
			bad := bytes.Replace(doc, []byte(c.field), []byte(strings.TrimSuffix(c.field, ":")+"s:"), 1)
			if bytes.Equal(bad, doc) {
				t.Fatalf("%s not in the %s", c.field, c.doc)
			}
			var d decoded
			var err error
			if c.doc == "Deployment" {
				err = strict(bad, &d.deployments)
			} else {
				err = strict(bad, &d.scaledObjects)
			}
			if err == nil {
				t.Errorf("strict decoding of a %s accepted a misspelled %s", c.doc, c.field)
			}
		}
	})
}

func TestRenderDeployment(t *testing.T) {
	m := load(t, "shop.mesh.yaml")
	raw, err := os.ReadFile(filepath.Join("testdata", "shop.mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, scaler := range []string{ScalerFnmesh, ScalerKEDA} {
		d := decodeStrict(t, render(t, "shop.mesh.yaml", RenderOptions{Namespace: "shop", Scaler: scaler}))
		if got := d.configMaps[0].Data["mesh.yaml"]; got != string(raw) {
			t.Errorf("ConfigMap holds %q, want the mesh file as written", got)
		}
		for i := range m.Functions {
			fn := &m.Functions[i]
			dep := d.deployment(t, kube.DeploymentName(fn.Name))
			if dep.Namespace != "shop" {
				t.Errorf("deployment %d: %s/%s, want shop/%s", i, dep.Namespace, dep.Name, kube.DeploymentName(fn.Name))
			}
			if dep.Annotations[kube.AnnotationFunction] != fn.Name {
				t.Errorf("%s: function annotation %q", dep.Name, dep.Annotations[kube.AnnotationFunction])
			}
			// The runtime finds the pods the Deployment makes, and the
			// Deployment's selector matches its own template.
			sel, err := labels.Parse(kube.Selector(fn.Name))
			if err != nil {
				t.Fatal(err)
			}
			tmpl := labels.Set(dep.Spec.Template.Labels)
			if !sel.Matches(tmpl) || !labels.SelectorFromSet(dep.Spec.Selector.MatchLabels).Matches(tmpl) {
				t.Errorf("%s: template labels %v not selected", dep.Name, tmpl)
			}
			svc := d.services[slices.IndexFunc(d.services, func(s corev1.Service) bool { return s.Name == dep.Name })]
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(tmpl) {
				t.Errorf("%s: Service selector %v misses the pods", dep.Name, svc.Spec.Selector)
			}
			switch keda := scaler == ScalerKEDA; {
			case keda && dep.Spec.Replicas != nil:
				t.Errorf("%s: replicas %d with KEDA, want unset", dep.Name, *dep.Spec.Replicas)
			case !keda && (dep.Spec.Replicas == nil || int(*dep.Spec.Replicas) != *fn.Scaling.MinReplicaCount):
				t.Errorf("%s: replicas %v, want minReplicaCount %d", dep.Name, dep.Spec.Replicas, *fn.Scaling.MinReplicaCount)
			}
		}
		// No worker selector matches the pods of fnmesh's own Deployments.
		for _, name := range []string{"fnmesh-triggers", "fnmesh-scaler"} {
			if scaler == ScalerKEDA && name == "fnmesh-scaler" {
				continue
			}
			tmpl := labels.Set(d.deployment(t, name).Spec.Template.Labels)
			for _, fn := range m.Functions {
				if sel, _ := labels.Parse(kube.Selector(fn.Name)); sel.Matches(tmpl) {
					t.Errorf("%s: the pods of %s match the worker selector of %s", name, name, fn.Name)
				}
			}
		}
	}

	d := decodeStrict(t, render(t, "shop.mesh.yaml", RenderOptions{}))
	tests := []struct {
		fn          int
		grace       int64
		drain       string
		image       string
		args        []string
		otelService string
		env         map[string]string
	}{
		{fn: 0, grace: 60, drain: "50s", image: "registry.example.com/shop/fulfil-order:1.4.2", otelService: "fulfilment",
			env: map[string]string{"SHOP_REGION": "eu-west-1"}},
		{fn: 1, grace: 45, drain: "35s", image: "registry.example.com/shop/notify:1.0.0", args: []string{"worker", "--function", "notify"}, otelService: "notify"},
		{fn: 2, grace: 16, drain: "5.5s", image: DefaultImage, args: []string{"worker", "--function", "Audit_Trail"}, otelService: "Audit_Trail"},
	}
	for _, tt := range tests {
		dep := d.deployment(t, kube.DeploymentName(m.Functions[tt.fn].Name))
		t.Run(dep.Name, func(t *testing.T) {
			ps := dep.Spec.Template.Spec
			if got := *ps.TerminationGracePeriodSeconds; got != tt.grace {
				t.Errorf("terminationGracePeriodSeconds = %d, want %d", got, tt.grace)
			}
			c := ps.Containers[0]
			if c.Image != tt.image || !slices.Equal(c.Args, tt.args) {
				t.Errorf("container runs %s %q, want %s %q", c.Image, c.Args, tt.image, tt.args)
			}
			env := envOf(t, c)
			want := map[string]string{
				"FNMESH_FUNCTION": m.Functions[tt.fn].Name, "FNMESH_FILE": MeshFile,
				"FNMESH_HEALTH_ADDR": ":8081", "FNMESH_SHUTDOWN_TIMEOUT": tt.drain, "OTEL_SERVICE_NAME": tt.otelService,
			}
			for k, v := range tt.env {
				want[k] = v
			}
			for k, v := range want {
				if env[k].Value != v {
					t.Errorf("env %s = %q, want %q", k, env[k].Value, v)
				}
			}
			if f := env["FNMESH_REPLICA"].ValueFrom; f == nil || f.FieldRef == nil || f.FieldRef.FieldPath != "metadata.name" {
				t.Errorf("FNMESH_REPLICA is not the pod name: %+v", env["FNMESH_REPLICA"])
			}
			// NATS comes from its Secret, never inline; the mesh's own
			// NATS_URL (fulfil-order sets one) is ignored.
			if e := env["NATS_URL"]; e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
				e.ValueFrom.SecretKeyRef.Name != DefaultNATSSecret || e.ValueFrom.SecretKeyRef.Key != "url" {
				t.Errorf("NATS_URL = %+v, want secretKeyRef %s/url", e, DefaultNATSSecret)
			}
			if c.LivenessProbe.HTTPGet.Path != "/livez" || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
				c.LivenessProbe.HTTPGet.Port.StrVal != "health" || c.Ports[0].ContainerPort != HealthPort {
				t.Errorf("probes do not reach the health endpoints: %+v %+v %+v", c.LivenessProbe, c.ReadinessProbe, c.Ports)
			}
			if c.VolumeMounts[0].MountPath != MeshFile || c.VolumeMounts[0].SubPath != "mesh.yaml" || ps.Volumes[0].ConfigMap.Name != DefaultConfigMapName {
				t.Errorf("mesh not mounted at %s: %+v %+v", MeshFile, c.VolumeMounts, ps.Volumes)
			}
			checkRestricted(t, ps)
		})
	}
	if got := d.deployment(t, kube.DeploymentName("Audit_Trail")).Annotations["fnmesh.dev/http-target"]; got != "http://audit.shop.svc:8080/events" {
		t.Errorf("http target annotation = %q", got)
	}
}

// envOf is c's environment by name; a name set twice fails t.
func envOf(t *testing.T, c corev1.Container) map[string]corev1.EnvVar {
	t.Helper()
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s set twice", e.Name)
		}
		env[e.Name] = e
	}
	return env
}

// checkRestricted holds ps to the "restricted" Pod Security Standard.
func checkRestricted(t *testing.T, ps corev1.PodSpec) {
	t.Helper()
	if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v: want runAsNonRoot and seccomp RuntimeDefault", sc)
	}
	for _, c := range ps.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
			sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || (sc.RunAsUser != nil && *sc.RunAsUser == 0) {
			t.Errorf("container %s security context %+v: not restricted", c.Name, sc)
		}
		for _, e := range c.Env {
			if strings.Contains(strings.ToUpper(e.Name), "SECRET") && e.Value != "" {
				t.Errorf("container %s: %s holds an inline value", c.Name, e.Name)
			}
		}
	}
	if ps.HostNetwork || ps.HostPID || ps.HostIPC {
		t.Error("pod shares a host namespace")
	}
}

func TestRenderWriteDir(t *testing.T) {
	objs, err := Render(load(t, "shop.mesh.yaml"), RenderOptions{Scaler: ScalerKEDA})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(dir, objs); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	audit := kube.DeploymentName("Audit_Trail")
	want := []string{
		"configmap-fnmesh-mesh.yaml",
		"deployment-" + audit + ".yaml", "deployment-fnmesh-fulfil-order.yaml", "deployment-fnmesh-notify.yaml", "deployment-fnmesh-triggers.yaml",
		"scaledobject-" + audit + ".yaml", "scaledobject-fnmesh-fulfil-order.yaml", "scaledobject-fnmesh-notify.yaml",
		"service-" + audit + ".yaml", "service-fnmesh-fulfil-order.yaml", "service-fnmesh-notify.yaml", "service-fnmesh-triggers.yaml",
	}
	if !slices.Equal(names, want) {
		t.Errorf("files:\n got %q\nwant %q", names, want)
	}
	all, err := Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	docs := splitDocs(t, all)
	for i, o := range objs {
		b, err := os.ReadFile(filepath.Join(dir, FileName(o)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytes.TrimSpace(b), bytes.TrimSpace(docs[i])) {
			t.Errorf("%s differs from document %d of Marshal", FileName(o), i)
		}
	}
}

// decodeOne decodes the one document of kind and name in b into out.
func decodeOne(t *testing.T, b []byte, kind, name string, out any) {
	t.Helper()
	for _, d := range splitDocs(t, b) {
		var head struct {
			Kind     string
			Metadata struct{ Name string }
		}
		if err := yaml.Unmarshal(d, &head); err != nil {
			t.Fatal(err)
		}
		if head.Kind == kind && head.Metadata.Name == name {
			if err := yaml.UnmarshalStrict(d, out); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no %s %s", kind, name)
}
