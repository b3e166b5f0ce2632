package k8s

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/kube"
)

// Drain margins, see the package documentation.
const (
	// drainMargin is added to the function's timeout to make the worker's
	// FNMESH_SHUTDOWN_TIMEOUT.
	drainMargin = 5 * time.Second
	// graceMargin is added to the function's timeout to make the pod's
	// terminationGracePeriodSeconds; it exceeds drainMargin.
	graceMargin = 15 * time.Second
)

// annotationMeshHash on the pod template rolls the pods when the mesh file
// changes.
const annotationMeshHash = "fnmesh.dev/mesh-sha256"

// annotationHTTPTarget on the Deployment of a run.http function records
// where its events are POSTed.
const annotationHTTPTarget = "fnmesh.dev/http-target"

// container is the worker container of fn (functions[i] of the mesh).
func (r *renderer) container(i int, fn *config.Function) (corev1.Container, error) {
	c := corev1.Container{
		Name:            "worker",
		ImagePullPolicy: r.o.ImagePullPolicy,
		Env:             r.env(fn),
		Ports:           []corev1.ContainerPort{{Name: healthPortName, ContainerPort: HealthPort, Protocol: corev1.ProtocolTCP}},
		LivenessProbe:   probe("/livez", 10, 3),
		ReadinessProbe:  probe("/readyz", 5, 2),
		Resources:       r.resources(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: "mesh", MountPath: MeshDir, ReadOnly: true},
			{Name: "tmp", MountPath: "/tmp"},
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: new(false),
			ReadOnlyRootFilesystem:   new(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if len(fn.SecretEnv) > 0 {
		// Rendering them would write the secrets of this machine into the
		// manifests; a pod takes its secrets from Kubernetes Secrets.
		return c, fmt.Errorf("render: functions[%d] (%s).secretEnv: secrets of `fnmesh up`'s machine for local workers: %w; give the pods a Kubernetes Secret instead",
			i, fn.Name, ErrUnsupported)
	}
	switch {
	case fn.Run.Image != "":
		c.Image = fn.Run.Image
	case fn.Run.HTTP != nil || len(fn.Run.Exec) > 0:
		c.Image = r.o.Image
		c.Args = []string{"worker", "--function", fn.Name}
		// The fnmesh image runs as an unprivileged user; a function's own
		// image may not, so only this one is held to it.
		c.SecurityContext.RunAsNonRoot = new(true)
	case len(fn.Run.Command) > 0:
		return c, fmt.Errorf("render: functions[%d] (%s).run.command: a local program: %w; build it into an image and set run.image",
			i, fn.Name, ErrUnsupported)
	default:
		return c, fmt.Errorf("render: functions[%d] (%s).run: one of image, http or exec is required: %w", i, fn.Name, ErrUnsupported)
	}
	return c, nil
}

// env is the worker's environment: what fnmesh sets, then the function's
// env in name order (which may replace OTEL_SERVICE_NAME and the log
// settings, not the rest).
func (r *renderer) env(fn *config.Function) []corev1.EnvVar {
	fixed := []corev1.EnvVar{
		{Name: "FNMESH_FUNCTION", Value: fn.Name},
		{Name: "FNMESH_FILE", Value: MeshFile},
		{Name: "NATS_URL", Value: r.o.NATSURL},
		{Name: "FNMESH_HEALTH_ADDR", Value: ":" + strconv.Itoa(HealthPort)},
		{Name: "FNMESH_SHUTDOWN_TIMEOUT", Value: (fn.Timeout.D() + drainMargin).String()},
		{Name: "FNMESH_REPLICA", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
	}
	overridable := map[string]string{
		"OTEL_SERVICE_NAME": fn.Name,
		"FNMESH_LOG_FORMAT": "json",
	}
	out := slices.Clone(fixed)
	isFixed := func(name string) bool {
		return slices.ContainsFunc(fixed, func(e corev1.EnvVar) bool { return e.Name == name })
	}
	own := map[string]string{}
	for k, v := range fn.Env {
		if !isFixed(k) {
			own[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(overridable)) {
		if _, ok := own[k]; !ok {
			out = append(out, corev1.EnvVar{Name: k, Value: overridable[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(own)) {
		out = append(out, corev1.EnvVar{Name: k, Value: own[k]})
	}
	return out
}

// probe is an HTTP probe on the health port.
func probe(path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: intstr.FromString(healthPortName), Scheme: corev1.URISchemeHTTP,
		}},
		PeriodSeconds:    period,
		TimeoutSeconds:   2,
		FailureThreshold: failures,
		SuccessThreshold: 1,
	}
}

// resources are RenderOptions.Resources or the defaults.
func (r *renderer) resources() corev1.ResourceRequirements {
	if r.o.Resources != nil {
		return *r.o.Resources.DeepCopy()
	}
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("50m"),
			corev1.ResourceMemory: resource.MustParse("64Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("1"),
			corev1.ResourceMemory: resource.MustParse("256Mi"),
		},
	}
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// deployment runs the workers of fn.
func (r *renderer) deployment(fn *config.Function, c corev1.Container) *appsv1.Deployment {
	name := kube.DeploymentName(fn.Name)
	meta := r.meta(fn.Name, name)
	if fn.Run.HTTP != nil {
		meta.Annotations[annotationHTTPTarget] = fn.Run.HTTP.URL
	}
	var replicas *int32
	if !r.o.KEDA {
		replicas = new(int32(minReplicas(fn)))
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas:             replicas,
			RevisionHistoryLimit: new(int32(3)),
			Selector:             &metav1.LabelSelector{MatchLabels: selector(fn.Name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      r.labels(fn.Name),
					Annotations: map[string]string{kube.AnnotationFunction: fn.Name, annotationMeshHash: r.meshHash},
				},
				Spec: corev1.PodSpec{
					Containers:                    []corev1.Container{c},
					TerminationGracePeriodSeconds: new(seconds(fn.Timeout.D() + graceMargin)),
					AutomountServiceAccountToken:  new(false),
					EnableServiceLinks:            new(false),
					SecurityContext: &corev1.PodSecurityContext{
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Volumes: []corev1.Volume{
						{Name: "mesh", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: r.o.ConfigMapName},
							Items:                []corev1.KeyToPath{{Key: meshKey, Path: meshKey}},
						}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
}

// minReplicas is fn's scaling.minReplicaCount (0 when unset).
func minReplicas(fn *config.Function) int {
	if fn.Scaling.MinReplicaCount == nil {
		return 0
	}
	return *fn.Scaling.MinReplicaCount
}

// service exposes the health port of fn's workers.
func (r *renderer) service(fn *config.Function) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(fn.Name, kube.DeploymentName(fn.Name)),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selector(fn.Name),
			Ports: []corev1.ServicePort{{
				Name: healthPortName, Port: HealthPort, TargetPort: intstr.FromString(healthPortName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}
