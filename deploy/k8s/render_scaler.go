package k8s

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fnmesh/fnmesh/workers/kube"
)

// ScalerLease is the coordination.k8s.io Lease the scaler pods elect
// their leader with (kubescaler.DefaultLeaseName).
const ScalerLease = "fnmesh-scaler"

// scaler renders `fnmesh scaler`: a ServiceAccount, a Role holding only
// what the scaler calls, its RoleBinding and the Deployment.
//
// The Role, as workers/kube and the leader election really call the API:
// get and patch the scale subresource of the functions' Deployments (by
// name; the runtime merge-patches spec.replicas there), list
// pods (the runtime counts the replicas from the pods its selector finds),
// and create the Lease, then get and update it by name.
func (r *renderer) scaler() []Object {
	meta := r.componentMeta("scaler")
	names := make([]string, 0, len(r.m.Functions))
	for _, fn := range r.m.Functions {
		names = append(names, kube.DeploymentName(fn.Name))
	}
	sa := &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   meta,
		AutomountServiceAccountToken: new(false),
	}
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: meta,
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, ResourceNames: names, Verbs: []string{"get", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{ScalerLease}, Verbs: []string{"get", "update"}},
		},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: meta,
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: meta.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: meta.Name, Namespace: r.o.Namespace}},
	}
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
	}
	dep := r.componentDeployment(component{
		name: "scaler", args: []string{"scaler"},
		env:      []corev1.EnvVar{field("POD_NAME", "metadata.name"), field("POD_NAMESPACE", "metadata.namespace")},
		replicas: r.o.ScalerReplicas, grace: 15,
		// The scaler is the one pod that talks to the API server.
		serviceAccount: meta.Name,
	})
	return []Object{sa, role, binding, dep}
}
