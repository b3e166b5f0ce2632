package k8s

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/fnmesh/fnmesh/workers/kube"
)

// The triggers run `fnmesh up --no-functions` against the cluster's NATS
// (which applies streams, buckets and consumers at start), with every
// secretRef from the triggers Secret and a Service in front.
func TestRenderTriggers(t *testing.T) {
	d := decodeStrict(t, render(t, "secrets.mesh.yaml", RenderOptions{Namespace: "shop", TriggersSecret: "shop-triggers", NATSCreds: true}))
	dep := d.deployment(t, "fnmesh-triggers")
	ps := dep.Spec.Template.Spec
	c := ps.Containers[0]
	if c.Image != DefaultImage || !slices.Equal(c.Args, []string{"up", "--no-functions"}) {
		t.Errorf("triggers run %s %q", c.Image, c.Args)
	}
	env := envOf(t, c)
	for _, name := range []string{"GITHUB_WEBHOOK_SECRET", "INGEST_TOKEN"} {
		ref := env[name].ValueFrom
		if env[name].Value != "" || ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "shop-triggers" || ref.SecretKeyRef.Key != name {
			t.Errorf("%s = %+v, want secretKeyRef shop-triggers/%s", name, env[name], name)
		}
	}
	if env["FNMESH_HTTP_ADDR"].Value != ":8080" || env["FNMESH_FILE"].Value != MeshFile || env["NATS_CREDS"].Value != NATSDir+"/creds" {
		t.Errorf("env = %+v", env)
	}
	// The stripe secret files sit beside the mesh file, from the Secret.
	proj := ps.Volumes[0].Projected
	if proj == nil || len(proj.Sources) != 2 || proj.Sources[0].ConfigMap.Name != DefaultConfigMapName {
		t.Fatalf("mesh volume = %+v", ps.Volumes[0])
	}
	wantFiles := []corev1.KeyToPath{{Key: "secrets.stripe-old", Path: "secrets/stripe-old"}, {Key: "secrets.stripe", Path: "secrets/stripe"}}
	if s := proj.Sources[1].Secret; s == nil || s.Name != "shop-triggers" || !slices.Equal(s.Items, wantFiles) {
		t.Errorf("secret files = %+v, want %+v from shop-triggers", proj.Sources[1].Secret, wantFiles)
	}
	if c.VolumeMounts[0].MountPath != MeshDir || c.LivenessProbe.HTTPGet.Path != "/livez" || c.ReadinessProbe.HTTPGet.Port.StrVal != "http" {
		t.Errorf("mounts %+v, probes %+v %+v", c.VolumeMounts, c.LivenessProbe, c.ReadinessProbe)
	}
	checkRestricted(t, ps)
	svc := d.services[slices.IndexFunc(d.services, func(s corev1.Service) bool { return s.Name == "fnmesh-triggers" })]
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("triggers Service %+v misses the pods or port", svc.Spec)
	}
}

// The scaler's Role allows exactly what `fnmesh scaler` calls.
func TestRenderScalerRBAC(t *testing.T) {
	m := load(t, "shop.mesh.yaml")
	d := decodeStrict(t, render(t, "shop.mesh.yaml", RenderOptions{Namespace: "shop"}))
	if len(d.roles) != 1 || len(d.roleBindings) != 1 || len(d.serviceAccounts) != 1 {
		t.Fatalf("%d Roles, %d RoleBindings, %d ServiceAccounts", len(d.roles), len(d.roleBindings), len(d.serviceAccounts))
	}
	var deps []string
	for _, fn := range m.Functions {
		deps = append(deps, kube.DeploymentName(fn.Name))
	}
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, ResourceNames: deps, Verbs: []string{"get", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{ScalerLease}, Verbs: []string{"get", "update"}},
	}
	got := d.roles[0].Rules
	if !slices.EqualFunc(got, want, func(a, b rbacv1.PolicyRule) bool {
		return slices.Equal(a.APIGroups, b.APIGroups) && slices.Equal(a.Resources, b.Resources) &&
			slices.Equal(a.ResourceNames, b.ResourceNames) && slices.Equal(a.Verbs, b.Verbs)
	}) {
		t.Errorf("rules:\n got %+v\nwant %+v", got, want)
	}
	rb, sa := d.roleBindings[0], d.serviceAccounts[0]
	if rb.RoleRef.Name != d.roles[0].Name || rb.RoleRef.Kind != "Role" || len(rb.Subjects) != 1 ||
		rb.Subjects[0].Name != sa.Name || rb.Subjects[0].Namespace != "shop" {
		t.Errorf("RoleBinding %+v does not bind %s to %s", rb, d.roles[0].Name, sa.Name)
	}
	dep := d.deployment(t, "fnmesh-scaler")
	ps := dep.Spec.Template.Spec
	env := envOf(t, ps.Containers[0])
	if ps.ServiceAccountName != sa.Name || !*ps.AutomountServiceAccountToken || *dep.Spec.Replicas != 2 ||
		!slices.Equal(ps.Containers[0].Args, []string{"scaler"}) ||
		env["POD_NAME"].ValueFrom.FieldRef.FieldPath != "metadata.name" || env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("scaler Deployment: %+v", dep.Spec)
	}
	checkRestricted(t, ps)
	// Only the scaler holds a service account token.
	for _, dep := range d.deployments {
		if dep.Name != "fnmesh-scaler" && *dep.Spec.Template.Spec.AutomountServiceAccountToken {
			t.Errorf("%s mounts a service account token", dep.Name)
		}
	}
}

// A function's kubernetes block sets its image, resources and secret
// environment (as secretKeyRef, after the function's own env).
func TestRenderFunctionKubernetes(t *testing.T) {
	d := decodeStrict(t, render(t, "secrets.mesh.yaml", RenderOptions{Namespace: "shop"}))
	dep := d.deployment(t, "fnmesh-fulfil-order")
	ps := dep.Spec.Template.Spec
	c := ps.Containers[0]
	if c.Image != "registry.example.com/shop/fulfil-order:1.4.2" || len(c.Args) != 0 || len(c.Command) != 0 {
		t.Errorf("run.command with kubernetes.image runs %s %q %q, want the image's entrypoint", c.Image, c.Command, c.Args)
	}
	want := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("512Mi"),
			corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")},
	}
	for _, l := range []struct{ got, want corev1.ResourceList }{{c.Resources.Requests, want.Requests}, {c.Resources.Limits, want.Limits}} {
		if len(l.got) != len(l.want) {
			t.Errorf("resources %v, want %v", l.got, l.want)
		}
		for k, q := range l.want {
			if g := l.got[k]; g.Cmp(q) != 0 {
				t.Errorf("resource %s = %s, want %s", k, g.String(), q.String())
			}
		}
	}
	env := envOf(t, c)
	for name, key := range map[string]string{"PAYMENT_API_KEY": "api-key", "OTEL_SERVICE_NAME": "service-name"} {
		ref := env[name].ValueFrom
		if env[name].Value != "" || ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "payments" || ref.SecretKeyRef.Key != key {
			t.Errorf("%s = %+v, want secretKeyRef payments/%s", name, env[name], key)
		}
	}
	if env["SHOP_REGION"].Value != "eu-west-1" {
		t.Errorf("SHOP_REGION = %+v", env["SHOP_REGION"])
	}
	// The SDK worker's image names its own (numeric) user.
	if ps.SecurityContext.RunAsUser != nil {
		t.Errorf("runAsUser %d forced on a function's own image", *ps.SecurityContext.RunAsUser)
	}
	notify := d.deployment(t, "fnmesh-notify").Spec.Template.Spec
	if c := notify.Containers[0]; c.Image != "registry.example.com/shop/notify:1.0.0" || !slices.Equal(c.Args, []string{"worker", "--function", "notify"}) {
		t.Errorf("run.exec with kubernetes.image runs %s %q", c.Image, c.Args)
	}
	if u := notify.SecurityContext.RunAsUser; u == nil || *u != 65532 {
		t.Errorf("an image FROM the fnmesh image runs as %v, want 65532", u)
	}
	for _, dep := range d.deployments {
		checkRestricted(t, dep.Spec.Template.Spec)
	}
}
