package k8s

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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

// workerContainer is what the worker container of a function runs.
type workerContainer struct {
	corev1.Container
	// knownUser: the image is the fnmesh image or built FROM it.
	knownUser bool
}

// container is the worker container of fn (functions[i] of the mesh).
func (r *renderer) container(i int, fn *config.Function) (workerContainer, error) {
	where := fmt.Sprintf("render: functions[%d] (%s)", i, fn.Name)
	if name := kube.DeploymentName(fn.Name); name == r.componentMeta("triggers").Name || name == r.componentMeta("scaler").Name {
		return workerContainer{}, fmt.Errorf("%s: its Deployment would be %s, the name of fnmesh's own: rename the function: %w", where, name, ErrUnsupported)
	}
	res, err := r.resources(i, fn)
	if err != nil {
		return workerContainer{}, err
	}
	mounts := []corev1.VolumeMount{
		// Only the file, so that an image's own files beside it (an exec
		// function's program at run.dir) stay visible.
		{Name: "mesh", MountPath: MeshFile, SubPath: meshKey, ReadOnly: true},
		{Name: "tmp", MountPath: "/tmp"},
	}
	_, natsMounts := r.natsVolume()
	c := workerContainer{Container: corev1.Container{
		Name:            "worker",
		ImagePullPolicy: r.o.ImagePullPolicy,
		Env:             r.env(fn),
		Ports:           []corev1.ContainerPort{{Name: healthPortName, ContainerPort: HealthPort, Protocol: corev1.ProtocolTCP}},
		LivenessProbe:   probe(healthPortName, "/livez", 10, 3),
		ReadinessProbe:  probe(healthPortName, "/readyz", 5, 2),
		Resources:       res,
		VolumeMounts:    append(mounts, natsMounts...),
		SecurityContext: containerSecurity(),
	}}
	var k8sImage string
	if fn.Kubernetes != nil {
		k8sImage = fn.Kubernetes.Image
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
	case len(fn.Run.Command) > 0 && k8sImage != "":
		// The worker program built into an image, with its own entrypoint.
		c.Image = k8sImage
	case len(fn.Run.Command) > 0:
		return c, fmt.Errorf("%s.run.command %q: a local program: %w; build it into an image (deploy/worker.Dockerfile) and set kubernetes.image",
			where, fn.Run.Command, ErrUnsupported)
	case len(fn.Run.Exec) > 0 && k8sImage != "":
		c.Image, c.Args, c.knownUser = k8sImage, []string{"worker", "--function", fn.Name}, true
	case len(fn.Run.Exec) > 0:
		return c, fmt.Errorf("%s.run.exec %q: the fnmesh image holds no programs (not even a shell): %w; build an image FROM it that adds %q and what it needs (deploy/exec.Dockerfile) and set kubernetes.image",
			where, fn.Run.Exec, ErrUnsupported, fn.Run.Exec[0])
	case fn.Run.HTTP != nil:
		c.Image, c.Args, c.knownUser = r.o.Image, []string{"worker", "--function", fn.Name}, k8sImage == ""
		if k8sImage != "" {
			c.Image = k8sImage
		}
	default:
		return c, fmt.Errorf("%s.run: one of image, command, http or exec is required: %w", where, ErrUnsupported)
	}
	return c, nil
}

// env is the worker's environment: what fnmesh sets, NATS from its
// Secret, then the function's env in name order (which may replace
// OTEL_SERVICE_NAME and the log settings, not the rest), then its
// kubernetes.secretEnv as secretKeyRef.
func (r *renderer) env(fn *config.Function) []corev1.EnvVar {
	fixed := []corev1.EnvVar{
		{Name: "FNMESH_FUNCTION", Value: fn.Name},
		{Name: "FNMESH_FILE", Value: MeshFile},
		{Name: "FNMESH_HEALTH_ADDR", Value: ":" + strconv.Itoa(HealthPort)},
		{Name: "FNMESH_SHUTDOWN_TIMEOUT", Value: (fn.Timeout.D() + drainMargin).String()},
		{Name: "FNMESH_REPLICA", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
	}
	fixed = append(fixed, r.natsEnv()...)
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
	var secret map[string]config.SecretKeyRef
	if fn.Kubernetes != nil {
		secret = fn.Kubernetes.SecretEnv
	}
	for _, k := range slices.Sorted(maps.Keys(overridable)) {
		if _, ok := own[k]; !ok {
			if _, ok := secret[k]; !ok {
				out = append(out, corev1.EnvVar{Name: k, Value: overridable[k]})
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(own)) {
		out = append(out, corev1.EnvVar{Name: k, Value: own[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(secret)) {
		if isFixed(k) {
			continue
		}
		out = append(out, corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret[k].Name}, Key: secret[k].Key,
		}}})
	}
	return out
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// deployment runs the workers of fn.
func (r *renderer) deployment(fn *config.Function, c workerContainer) *appsv1.Deployment {
	name := kube.DeploymentName(fn.Name)
	meta := r.meta(fn.Name, name)
	if fn.Run.HTTP != nil {
		meta.Annotations[annotationHTTPTarget] = fn.Run.HTTP.URL
	}
	var replicas *int32
	if r.o.Scaler != ScalerKEDA {
		replicas = new(int32(minReplicas(fn)))
	}
	natsVols, _ := r.natsVolume()
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
					Containers:                    []corev1.Container{c.Container},
					TerminationGracePeriodSeconds: new(seconds(fn.Timeout.D() + graceMargin)),
					AutomountServiceAccountToken:  new(false),
					EnableServiceLinks:            new(false),
					SecurityContext:               podSecurity(c.knownUser),
					Volumes:                       append([]corev1.Volume{r.meshVolume(), tmpVolume}, natsVols...),
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
