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

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/kube"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var goldenCases = []struct {
	name, mesh string
	opts       RenderOptions
}{
	{name: "shop", mesh: "shop.mesh.yaml", opts: RenderOptions{Namespace: "shop", NATSURL: "nats://nats.messaging.svc:4222"}},
	{name: "shop-keda", mesh: "shop.mesh.yaml", opts: RenderOptions{
		Namespace: "shop", Image: "registry.example.com/fnmesh:0.3.0", NATSURL: "nats://nats-0.nats:4222,nats://nats-1.nats:4222",
		ConfigMapName: "shop-mesh", ImagePullPolicy: corev1.PullAlways, KEDA: true,
	}},
}

func load(t testing.TB, name string) *config.Mesh {
	t.Helper()
	m, err := meshmap.Load(filepath.Join("testdata", name))
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

// decoded is the rendered stream decoded strictly into the API types.
type decoded struct {
	configMaps   []corev1.ConfigMap
	deployments  []appsv1.Deployment
	services     []corev1.Service
	scaledObject []map[string]any
}

// decodeStrict decodes every document into its Kubernetes API type,
// rejecting unknown and misspelled fields. ScaledObjects (a CRD, with no Go
// type here) are decoded to maps.
func decodeStrict(t testing.TB, b []byte) decoded {
	t.Helper()
	var out decoded
	for i, d := range splitDocs(t, b) {
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(d, &head); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var err error
		switch head.APIVersion + " " + head.Kind {
		case "v1 ConfigMap":
			var o corev1.ConfigMap
			err = yaml.UnmarshalStrict(d, &o)
			out.configMaps = append(out.configMaps, o)
		case "apps/v1 Deployment":
			var o appsv1.Deployment
			err = yaml.UnmarshalStrict(d, &o)
			out.deployments = append(out.deployments, o)
		case "v1 Service":
			var o corev1.Service
			err = yaml.UnmarshalStrict(d, &o)
			out.services = append(out.services, o)
		case KEDAAPIVersion + " ScaledObject":
			var o map[string]any
			err = yaml.UnmarshalStrict(d, &o)
			out.scaledObject = append(out.scaledObject, o)
		default:
			t.Fatalf("document %d: unexpected %s %s", i, head.APIVersion, head.Kind)
		}
		if err != nil {
			t.Fatalf("document %d (%s): strict decode: %v\n%s", i, head.Kind, err, d)
		}
	}
	return out
}

func TestRenderDecodesStrictly(t *testing.T) {
	for _, tt := range goldenCases {
		t.Run(tt.name, func(t *testing.T) {
			d := decodeStrict(t, render(t, tt.mesh, tt.opts))
			if len(d.configMaps) != 1 || len(d.deployments) != 3 || len(d.services) != 3 {
				t.Errorf("got %d ConfigMaps, %d Deployments, %d Services; want 1, 3, 3", len(d.configMaps), len(d.deployments), len(d.services))
			}
			if want := map[bool]int{true: 3, false: 0}[tt.opts.KEDA]; len(d.scaledObject) != want {
				t.Errorf("got %d ScaledObjects, want %d", len(d.scaledObject), want)
			}
		})
	}
	t.Run("a misspelled field fails", func(t *testing.T) {
		doc := splitDocs(t, render(t, "shop.mesh.yaml", RenderOptions{}))[1]
		bad := bytes.Replace(doc, []byte("revisionHistoryLimit:"), []byte("revisionHistoryLimits:"), 1)
		if bytes.Equal(bad, doc) {
			t.Fatal("revisionHistoryLimit not in the Deployment")
		}
		var o appsv1.Deployment
		if err := yaml.UnmarshalStrict(bad, &o); err == nil {
			t.Error("strict decoding accepted revisionHistoryLimits")
		}
	})
}

func TestRenderDeployment(t *testing.T) {
	m := load(t, "shop.mesh.yaml")
	raw, err := os.ReadFile(filepath.Join("testdata", "shop.mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, keda := range []bool{false, true} {
		d := decodeStrict(t, render(t, "shop.mesh.yaml", RenderOptions{Namespace: "shop", KEDA: keda}))
		if got := d.configMaps[0].Data["mesh.yaml"]; got != string(raw) {
			t.Errorf("ConfigMap holds %q, want the mesh file as written", got)
		}
		for i, dep := range d.deployments {
			fn := &m.Functions[i]
			if dep.Name != kube.DeploymentName(fn.Name) || dep.Namespace != "shop" {
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
			if !labels.SelectorFromSet(d.services[i].Spec.Selector).Matches(tmpl) {
				t.Errorf("%s: Service selector %v misses the pods", dep.Name, d.services[i].Spec.Selector)
			}
			switch {
			case keda && dep.Spec.Replicas != nil:
				t.Errorf("%s: replicas %d with KEDA, want unset", dep.Name, *dep.Spec.Replicas)
			case !keda && (dep.Spec.Replicas == nil || int(*dep.Spec.Replicas) != *fn.Scaling.MinReplicaCount):
				t.Errorf("%s: replicas %v, want minReplicaCount %d", dep.Name, dep.Spec.Replicas, *fn.Scaling.MinReplicaCount)
			}
		}
	}

	d := decodeStrict(t, render(t, "shop.mesh.yaml", RenderOptions{NATSURL: "nats://nats:4222"}))
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
		{fn: 1, grace: 45, drain: "35s", image: DefaultImage, args: []string{"worker", "--function", "notify"}, otelService: "notify"},
		{fn: 2, grace: 16, drain: "5.5s", image: DefaultImage, args: []string{"worker", "--function", "Audit_Trail"}, otelService: "Audit_Trail"},
	}
	for _, tt := range tests {
		dep := d.deployments[tt.fn]
		t.Run(dep.Name, func(t *testing.T) {
			ps := dep.Spec.Template.Spec
			if got := *ps.TerminationGracePeriodSeconds; got != tt.grace {
				t.Errorf("terminationGracePeriodSeconds = %d, want %d", got, tt.grace)
			}
			c := ps.Containers[0]
			if c.Image != tt.image || !slices.Equal(c.Args, tt.args) {
				t.Errorf("container runs %s %q, want %s %q", c.Image, c.Args, tt.image, tt.args)
			}
			env := map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				if _, dup := env[e.Name]; dup {
					t.Errorf("env %s set twice", e.Name)
				}
				env[e.Name] = e
			}
			want := map[string]string{
				"FNMESH_FUNCTION": m.Functions[tt.fn].Name, "FNMESH_FILE": MeshFile, "NATS_URL": "nats://nats:4222",
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
			if c.LivenessProbe.HTTPGet.Path != "/livez" || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
				c.LivenessProbe.HTTPGet.Port.StrVal != "health" || c.Ports[0].ContainerPort != HealthPort {
				t.Errorf("probes do not reach the health endpoints: %+v %+v %+v", c.LivenessProbe, c.ReadinessProbe, c.Ports)
			}
			if c.VolumeMounts[0].MountPath != MeshDir || ps.Volumes[0].ConfigMap.Name != DefaultConfigMapName {
				t.Errorf("mesh not mounted at %s: %+v %+v", MeshDir, c.VolumeMounts, ps.Volumes)
			}
		})
	}
	if got := d.deployments[2].Annotations["fnmesh.dev/http-target"]; got != "http://audit.shop.svc:8080/events" {
		t.Errorf("http target annotation = %q", got)
	}
}

func TestRenderKEDA(t *testing.T) {
	d := decodeStrict(t, render(t, "shop.mesh.yaml", RenderOptions{Namespace: "shop", NATSURL: "tls://nats.messaging.svc:4222", KEDA: true}))
	tests := []struct {
		name                              string
		min, max, polling, cooldown       int64
		stream, consumer, lag, activation string
	}{
		{name: "fnmesh-fulfil-order", min: 1, max: 20, polling: 5, cooldown: 120, stream: "EVENTS", consumer: "fulfil-order", lag: "50", activation: "1"},
		{name: "fnmesh-notify", min: 0, max: 10, polling: 1, cooldown: 30, stream: "EVENTS", consumer: "notify", lag: "100", activation: "0"},
		{name: kube.DeploymentName("Audit_Trail"), min: 0, max: 2, polling: 1, cooldown: 30, stream: "AUDIT", consumer: "Audit_Trail", lag: "100", activation: "0"},
	}
	if len(d.scaledObject) != len(tests) {
		t.Fatalf("%d ScaledObjects, want %d", len(d.scaledObject), len(tests))
	}
	for i, tt := range tests {
		so := d.scaledObject[i]
		t.Run(tt.name, func(t *testing.T) {
			get := func(path ...string) any {
				var v any = so
				for _, p := range path {
					m, ok := v.(map[string]any)
					if !ok {
						t.Fatalf("%v: not an object at %s", path, p)
					}
					v = m[p]
				}
				return v
			}
			num := func(path ...string) int64 {
				switch v := get(path...).(type) {
				case float64:
					return int64(v)
				case int64:
					return v
				default:
					t.Fatalf("%v = %#v, want a number", path, v)
					return 0
				}
			}
			checks := []struct {
				field     string
				got, want any
			}{
				{"apiVersion", get("apiVersion"), "keda.sh/v1alpha1"},
				{"kind", get("kind"), "ScaledObject"},
				{"metadata.name", get("metadata", "name"), tt.name},
				{"metadata.namespace", get("metadata", "namespace"), "shop"},
				{"spec.scaleTargetRef.name", get("spec", "scaleTargetRef", "name"), tt.name},
				{"spec.minReplicaCount", num("spec", "minReplicaCount"), tt.min},
				{"spec.maxReplicaCount", num("spec", "maxReplicaCount"), tt.max},
				{"spec.pollingInterval", num("spec", "pollingInterval"), tt.polling},
				{"spec.cooldownPeriod", num("spec", "cooldownPeriod"), tt.cooldown},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
				}
			}
			trs, _ := get("spec", "triggers").([]any)
			if len(trs) != 1 {
				t.Fatalf("triggers = %#v, want one", get("spec", "triggers"))
			}
			tr := trs[0].(map[string]any)
			if tr["type"] != "nats-jetstream" {
				t.Errorf("trigger type = %v", tr["type"])
			}
			md := tr["metadata"].(map[string]any)
			wantMD := map[string]any{
				"natsServerMonitoringEndpoint": "nats.messaging.svc:8222", "account": "$G",
				"stream": tt.stream, "consumer": tt.consumer, "lagThreshold": tt.lag, "activationLagThreshold": tt.activation,
			}
			if len(md) != len(wantMD) {
				t.Errorf("trigger metadata has %d keys, want %d: %v", len(md), len(wantMD), md)
			}
			for k, v := range wantMD {
				if md[k] != v {
					t.Errorf("trigger metadata %s = %#v, want %#v", k, md[k], v)
				}
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	m := load(t, "command.mesh.yaml")
	_, err := Render(m, RenderOptions{})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	for _, want := range []string{"functions[1] (local-one).run.command", "functions[2] (local-two).run.command", "set run.image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %q", err, want)
		}
	}

	shop := load(t, "shop.mesh.yaml")
	tests := []struct {
		name string
		opts RenderOptions
		want string
	}{
		{"namespace", RenderOptions{Namespace: "Shop_NS"}, `namespace "Shop_NS"`},
		{"config map", RenderOptions{ConfigMapName: "-x"}, `configMapName "-x"`},
		{"pull policy", RenderOptions{ImagePullPolicy: "Sometimes"}, `imagePullPolicy "Sometimes": must be Always, IfNotPresent or Never`},
		{"nats url", RenderOptions{NATSURL: "nats://"}, `natsURL "nats://"`},
		{"monitoring", RenderOptions{NATSMonitoringEndpoint: "nats"}, `natsMonitoringEndpoint "nats": must be host:port`},
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

func TestWriteDir(t *testing.T) {
	objs, err := Render(load(t, "shop.mesh.yaml"), RenderOptions{KEDA: true})
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
		"deployment-" + audit + ".yaml", "deployment-fnmesh-fulfil-order.yaml", "deployment-fnmesh-notify.yaml",
		"scaledobject-" + audit + ".yaml", "scaledobject-fnmesh-fulfil-order.yaml", "scaledobject-fnmesh-notify.yaml",
		"service-" + audit + ".yaml", "service-fnmesh-fulfil-order.yaml", "service-fnmesh-notify.yaml",
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
