package k8s

import (
	"fmt"
	"maps"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/fnmesh/fnmesh/internal/config"
)

// The parts every pod shares: the restricted security context, NATS from
// its Secret, the mesh file, probes and resources.

// podSecurity is the pod-level part of the "restricted" Pod Security
// profile. runAsUser is set for images whose user is known (the fnmesh
// image and images built FROM it); another image must name a numeric
// non-root USER, or the kubelet refuses to start it.
func podSecurity(knownUser bool) *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{
		RunAsNonRoot:   new(true),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if knownUser {
		sc.RunAsUser, sc.RunAsGroup = new(int64(imageUser)), new(int64(imageUser))
	}
	return sc
}

// containerSecurity is the container-level part of the restricted profile:
// no privilege escalation, all capabilities dropped, a read-only root file
// system.
func containerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: new(false),
		ReadOnlyRootFilesystem:   new(true),
		RunAsNonRoot:             new(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// natsEnv is the NATS connection from the NATS Secret: the URL and the
// optional user, password and token as secretKeyRef, and the paths of the
// mounted files that were asked for.
func (r *renderer) natsEnv() []corev1.EnvVar {
	ref := func(name, key string, optional bool) corev1.EnvVar {
		sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: r.o.NATSSecret}, Key: key}
		if optional {
			sel.Optional = new(true)
		}
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: sel}}
	}
	env := []corev1.EnvVar{
		ref("NATS_URL", "url", false),
		ref("NATS_USER", "user", true),
		ref("NATS_PASSWORD", "password", true),
		ref("NATS_TOKEN", "token", true),
	}
	for _, f := range r.natsFiles() {
		env = append(env, corev1.EnvVar{Name: f.env, Value: path.Join(NATSDir, f.key)})
	}
	return env
}

// natsFile is a key of the NATS Secret mounted as a file.
type natsFile struct{ key, env string }

// natsFiles are the keys of the NATS Secret RenderOptions ask to mount.
func (r *renderer) natsFiles() []natsFile {
	var out []natsFile
	if r.o.NATSCreds {
		out = append(out, natsFile{"creds", "NATS_CREDS"})
	}
	if r.o.NATSCA {
		out = append(out, natsFile{"ca.crt", "NATS_CA"})
	}
	if r.o.NATSClientCert {
		out = append(out, natsFile{"tls.crt", "NATS_CERT"}, natsFile{"tls.key", "NATS_KEY"})
	}
	return out
}

// natsVolume mounts the NATS Secret's files at NATSDir, when any is asked
// for. The keys are not optional: a pod whose Secret lacks one does not
// start, and says why.
func (r *renderer) natsVolume() ([]corev1.Volume, []corev1.VolumeMount) {
	files := r.natsFiles()
	if len(files) == 0 {
		return nil, nil
	}
	items := make([]corev1.KeyToPath, 0, len(files))
	for _, f := range files {
		items = append(items, corev1.KeyToPath{Key: f.key, Path: f.key})
	}
	return []corev1.Volume{{Name: "nats", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: r.o.NATSSecret, Items: items, DefaultMode: new(int32(0o444)),
		}}}},
		[]corev1.VolumeMount{{Name: "nats", MountPath: NATSDir, ReadOnly: true}}
}

// meshVolume is the mesh ConfigMap as a volume.
func (r *renderer) meshVolume() corev1.Volume {
	return corev1.Volume{Name: "mesh", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: r.o.ConfigMapName},
		Items:                []corev1.KeyToPath{{Key: meshKey, Path: meshKey}},
	}}}
}

// tmpVolume is a writable /tmp on the read-only root file system.
var tmpVolume = corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}

// probe is an HTTP probe on the named port.
func probe(port, path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: intstr.FromString(port), Scheme: corev1.URISchemeHTTP,
		}},
		PeriodSeconds:    period,
		TimeoutSeconds:   2,
		FailureThreshold: failures,
		SuccessThreshold: 1,
	}
}

// defaultResources are the requests and limits of a container that sets none.
func defaultResources() corev1.ResourceRequirements {
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

// resources are fn's kubernetes.resources, else RenderOptions.Resources,
// else the defaults.
func (r *renderer) resources(i int, fn *config.Function) (corev1.ResourceRequirements, error) {
	if fn.Kubernetes != nil && fn.Kubernetes.Resources != nil {
		var out corev1.ResourceRequirements
		var err error
		field := fmt.Sprintf("functions[%d] (%s).kubernetes.resources", i, fn.Name)
		if out.Requests, err = quantities(field+".requests", fn.Kubernetes.Resources.Requests); err != nil {
			return out, err
		}
		if out.Limits, err = quantities(field+".limits", fn.Kubernetes.Resources.Limits); err != nil {
			return out, err
		}
		for name, lim := range out.Limits {
			if req, ok := out.Requests[name]; ok && req.Cmp(lim) > 0 {
				return out, fmt.Errorf("render: %s.requests.%s: %s is more than the limit %s: %w", field, name, req.String(), lim.String(), ErrUnsupported)
			}
		}
		return out, nil
	}
	if r.o.Resources != nil {
		return *r.o.Resources.DeepCopy(), nil
	}
	return defaultResources(), nil
}

// quantities parses a resource list of the mesh file.
func quantities(field string, in map[string]string) (corev1.ResourceList, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := corev1.ResourceList{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		q, err := resource.ParseQuantity(in[k])
		if err != nil || q.Sign() < 0 {
			return nil, fmt.Errorf("render: %s.%s %q: must be a non-negative Kubernetes quantity such as 250m or 128Mi: %w", field, k, in[k], ErrUnsupported)
		}
		out[corev1.ResourceName(k)] = q
	}
	return out, nil
}
