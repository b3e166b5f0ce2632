package k8s

import (
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// decoded is the rendered stream decoded strictly into the API types:
// Kubernetes' own (k8s.io/api) and KEDA's (github.com/kedacore/keda/v2).
type decoded struct {
	configMaps      []corev1.ConfigMap
	deployments     []appsv1.Deployment
	services        []corev1.Service
	serviceAccounts []corev1.ServiceAccount
	roles           []rbacv1.Role
	roleBindings    []rbacv1.RoleBinding
	scaledObjects   []kedav1alpha1.ScaledObject
	triggerAuths    []kedav1alpha1.TriggerAuthentication
	kinds           []string // in stream order
}

// strict decodes one document into o, rejecting unknown and misspelled
// fields, and appends it to list.
func strict[T any](d []byte, list *[]T) error {
	var o T
	if err := yaml.UnmarshalStrict(d, &o); err != nil {
		return err
	}
	*list = append(*list, o)
	return nil
}

// decodeStrict decodes every document into its API type, rejecting
// unknown and misspelled fields and unexpected kinds.
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
			err = strict(d, &out.configMaps)
		case "apps/v1 Deployment":
			err = strict(d, &out.deployments)
		case "v1 Service":
			err = strict(d, &out.services)
		case "v1 ServiceAccount":
			err = strict(d, &out.serviceAccounts)
		case "rbac.authorization.k8s.io/v1 Role":
			err = strict(d, &out.roles)
		case "rbac.authorization.k8s.io/v1 RoleBinding":
			err = strict(d, &out.roleBindings)
		case KEDAAPIVersion + " ScaledObject":
			err = strict(d, &out.scaledObjects)
		case KEDAAPIVersion + " TriggerAuthentication":
			err = strict(d, &out.triggerAuths)
		default:
			t.Fatalf("document %d: unexpected %s %s", i, head.APIVersion, head.Kind)
		}
		if err != nil {
			t.Fatalf("document %d (%s): strict decode: %v\n%s", i, head.Kind, err, d)
		}
		out.kinds = append(out.kinds, head.Kind)
	}
	return out
}

// deployment is the decoded Deployment called name.
func (d decoded) deployment(t testing.TB, name string) appsv1.Deployment {
	t.Helper()
	for _, dep := range d.deployments {
		if dep.Name == name {
			return dep
		}
	}
	t.Fatalf("no Deployment %s", name)
	return appsv1.Deployment{}
}
