package k8s

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// component is one of fnmesh's own Deployments (the triggers, the
// scaler): the fnmesh image with args, listening on HTTPPort.
type component struct {
	name     string // "triggers": Deployment fnmesh-triggers
	args     []string
	env      []corev1.EnvVar // after the common ones, before NATS
	replicas int
	grace    int64
	// meshVolume replaces the plain mesh ConfigMap volume (a projection
	// with secret files beside the mesh file).
	meshVolume *corev1.Volume
	// serviceAccount, when set, is the pod's identity, with its token.
	serviceAccount string
}

// componentDeployment is the Deployment of c.
func (r *renderer) componentDeployment(c component) *appsv1.Deployment {
	env := []corev1.EnvVar{
		{Name: "FNMESH_FILE", Value: MeshFile},
		{Name: "FNMESH_HTTP_ADDR", Value: ":" + strconv.Itoa(HTTPPort)},
		{Name: "FNMESH_LOG_FORMAT", Value: "json"},
		{Name: "OTEL_SERVICE_NAME", Value: "fnmesh-" + c.name},
	}
	env = append(append(env, c.env...), r.natsEnv()...)
	mesh := r.meshVolume()
	if c.meshVolume != nil {
		mesh = *c.meshVolume
	}
	natsVols, natsMounts := r.natsVolume()
	ctr := corev1.Container{
		Name:            c.name,
		Image:           r.o.Image,
		ImagePullPolicy: r.o.ImagePullPolicy,
		Args:            c.args,
		Env:             env,
		Ports:           []corev1.ContainerPort{{Name: httpPortName, ContainerPort: HTTPPort, Protocol: corev1.ProtocolTCP}},
		LivenessProbe:   probe(httpPortName, "/livez", 10, 3),
		ReadinessProbe:  probe(httpPortName, "/readyz", 5, 2),
		Resources:       defaultResources(),
		VolumeMounts: append([]corev1.VolumeMount{
			{Name: "mesh", MountPath: MeshDir, ReadOnly: true},
			{Name: "tmp", MountPath: "/tmp"},
		}, natsMounts...),
		SecurityContext: containerSecurity(),
	}
	ps := corev1.PodSpec{
		ServiceAccountName:            c.serviceAccount,
		AutomountServiceAccountToken:  new(c.serviceAccount != ""),
		Containers:                    []corev1.Container{ctr},
		TerminationGracePeriodSeconds: new(c.grace),
		EnableServiceLinks:            new(false),
		SecurityContext:               podSecurity(true),
		Volumes:                       append([]corev1.Volume{mesh, tmpVolume}, natsVols...),
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: r.componentMeta(c.name),
		Spec: appsv1.DeploymentSpec{
			Replicas:             new(int32(c.replicas)),
			RevisionHistoryLimit: new(int32(3)),
			Selector:             &metav1.LabelSelector{MatchLabels: r.componentSelector(c.name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      r.componentLabels(c.name),
					Annotations: map[string]string{annotationMeshHash: r.meshHash},
				},
				Spec: ps,
			},
		},
	}
}

// componentSelector selects the pods of a component.
func (r *renderer) componentSelector(component string) map[string]string {
	l := r.componentLabels(component)
	return map[string]string{"app.kubernetes.io/name": l["app.kubernetes.io/name"], "app.kubernetes.io/part-of": l["app.kubernetes.io/part-of"]}
}
