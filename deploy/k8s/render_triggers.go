package k8s

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/fnmesh/fnmesh/internal/config"
)

// triggersGrace is the triggers pod's terminationGracePeriodSeconds: the
// default FNMESH_SHUTDOWN_TIMEOUT (30s) of `fnmesh up` and a margin.
const triggersGrace = 45

// secretKeyPattern is what a Secret key may hold.
var secretKeyPattern = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// triggerSecrets are the secretRefs of the triggers side, mapped onto the
// triggers Secret: env refs become secretKeyRef variables, file refs
// files beside the mesh file.
type triggerSecrets struct {
	env   []string           // variable names, sorted, each a key of the Secret
	files []corev1.KeyToPath // key -> path relative to MeshDir
}

// triggerSecrets collects every secretRef of m. An inline value cannot be
// kept out of the manifests (the mesh file is in a ConfigMap), and a file
// outside the mesh file's directory has nowhere to be mounted: both are
// refused, naming the field.
func (r *renderer) triggerSecrets() (triggerSecrets, error) {
	var out triggerSecrets
	var errs []error
	seenEnv, seenKey := map[string]bool{}, map[string]string{}
	add := func(field string, ref *config.SecretRef) {
		switch {
		case ref == nil:
		case ref.Value != "":
			errs = append(errs, fmt.Errorf("render: %s.value: an inline secret would be written into the mesh ConfigMap: %w; use env: NAME (key NAME of Secret %s)", field, ErrUnsupported, r.o.TriggersSecret))
		case ref.Env != "":
			if !seenEnv[ref.Env] {
				seenEnv[ref.Env] = true
				out.env = append(out.env, ref.Env)
			}
		case ref.File != "":
			rel, err := r.relToMesh(ref.File)
			if err != nil {
				errs = append(errs, fmt.Errorf("render: %s.file %q: %w: %w", field, ref.File, err, ErrUnsupported))
				return
			}
			key := strings.ReplaceAll(rel, "/", ".")
			if !secretKeyPattern.MatchString(key) || len(key) > 253 {
				errs = append(errs, fmt.Errorf("render: %s.file %q: key %q: a Secret key holds only letters, digits, '-', '_' and '.': %w", field, ref.File, key, ErrUnsupported))
				return
			}
			if prev, ok := seenKey[key]; ok {
				if prev != rel {
					errs = append(errs, fmt.Errorf("render: %s.file %q: key %q is also %q: %w", field, ref.File, key, prev, ErrUnsupported))
				}
				return
			}
			seenKey[key] = rel
			out.files = append(out.files, corev1.KeyToPath{Key: key, Path: rel})
		}
	}
	add("ingest.tokenRef", r.m.Ingest.TokenRef)
	for i := range r.m.Triggers {
		t := &r.m.Triggers[i]
		where := fmt.Sprintf("triggers[%d] (%s)", i, t.Name)
		if t.HTTP != nil {
			add(where+".http.tokenRef", t.HTTP.TokenRef)
		}
		if t.Webhook != nil {
			add(where+".webhook.secretRef", t.Webhook.SecretRef)
			for j := range t.Webhook.SecretRefs {
				add(fmt.Sprintf("%s.webhook.secretRefs[%d]", where, j), &t.Webhook.SecretRefs[j])
			}
		}
	}
	slices.Sort(out.env)
	return out, errors.Join(errs...)
}

// relToMesh is path (resolved against the mesh file's directory on load)
// relative to that directory, which is MeshDir in the pods.
func (r *renderer) relToMesh(path string) (string, error) {
	base := "."
	if r.m.File != "" {
		base = filepath.Dir(r.m.File)
	}
	rel, err := filepath.Rel(base, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return "", errors.New("outside the mesh file's directory: on Kubernetes secret files are mounted beside the mesh file")
	}
	if rel == meshKey {
		return "", errors.New("is the mesh file")
	}
	return filepath.ToSlash(rel), nil
}

// triggers renders the triggers side: `fnmesh up --no-functions` against
// the cluster's NATS, which applies the streams, buckets and consumers at
// start (before it reports ready) and serves POST /events, the HTTP
// routes and webhooks, and runs the cron triggers. Its Service exposes
// port 80.
func (r *renderer) triggers() ([]Object, error) {
	secrets, err := r.triggerSecrets()
	if err != nil {
		return nil, err
	}
	var env []corev1.EnvVar
	for _, name := range secrets.env {
		env = append(env, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.o.TriggersSecret}, Key: name,
		}}})
	}
	// The mesh file and the secret files beside it, in one directory.
	sources := []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{
		LocalObjectReference: corev1.LocalObjectReference{Name: r.o.ConfigMapName},
		Items:                []corev1.KeyToPath{{Key: meshKey, Path: meshKey}},
	}}}
	if len(secrets.files) > 0 {
		sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.o.TriggersSecret}, Items: secrets.files,
		}})
	}
	dep := r.componentDeployment(component{
		name: "triggers", args: []string{"up", "--no-functions"}, env: env,
		replicas: r.o.TriggersReplicas, grace: triggersGrace,
		meshVolume: &corev1.Volume{Name: "mesh", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: sources}}},
	})
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.componentMeta("triggers"),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: r.componentSelector("triggers"),
			Ports: []corev1.ServicePort{{
				Name: httpPortName, Port: 80, TargetPort: intstr.FromString(httpPortName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
	return []Object{dep, svc}, nil
}
