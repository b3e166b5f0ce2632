package k8s

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/kube"
)

// Defaults of RenderOptions.
const (
	DefaultNamespace     = "default"
	DefaultImage         = "fnmesh:dev"
	DefaultNATSURL       = "nats://nats:4222"
	DefaultConfigMapName = "fnmesh-mesh"
	// DefaultMonitoringPort is the NATS monitoring port KEDA reads when
	// RenderOptions.NATSMonitoringEndpoint is empty.
	DefaultMonitoringPort = "8222"
)

// Paths and ports inside worker pods.
const (
	// MeshDir is where the mesh ConfigMap is mounted.
	MeshDir = "/etc/fnmesh"
	// MeshFile is the mesh file inside worker pods (FNMESH_FILE).
	MeshFile = MeshDir + "/mesh.yaml"
	// meshKey is the ConfigMap key holding the mesh file.
	meshKey = "mesh.yaml"
	// HealthPort serves /livez and /readyz (FNMESH_HEALTH_ADDR=:8081).
	HealthPort = 8081
	// healthPortName names the health port of containers and Services.
	healthPortName = "health"
	// maxConfigMapBytes is the most a ConfigMap holds.
	maxConfigMapBytes = 1 << 20
)

// Errors callers branch on.
var (
	// ErrUnsupported means a function cannot run on Kubernetes as declared
	// (run.command is a local program).
	ErrUnsupported = errors.New("cannot run on kubernetes")
	// ErrInvalidOptions means a RenderOptions field breaks its rule.
	ErrInvalidOptions = errors.New("invalid render options")
)

// RenderOptions says where and how the workers run. The zero value renders
// into namespace "default" with the fnmesh:dev image and NATS at
// nats://nats:4222.
type RenderOptions struct {
	// Namespace of every object. Default DefaultNamespace.
	Namespace string
	// Image is the fnmesh image, which runs run.http and run.exec functions
	// as `fnmesh worker --function NAME`. Exec programs must be in it: the
	// plain fnmesh image is FROM scratch, so build one FROM it that adds
	// them. Default DefaultImage.
	Image string
	// ImagePullPolicy of the worker containers. Default IfNotPresent.
	ImagePullPolicy corev1.PullPolicy
	// NATSURL is given to workers as NATS_URL. Default DefaultNATSURL.
	NATSURL string
	// NATSMonitoringEndpoint is the "host:port" of the NATS monitoring
	// endpoint KEDA reads (natsServerMonitoringEndpoint). Default: the host
	// of NATSURL with port DefaultMonitoringPort.
	NATSMonitoringEndpoint string
	// ConfigMapName names the ConfigMap holding the mesh file. Default
	// DefaultConfigMapName.
	ConfigMapName string
	// MeshYAML is the mesh file as written, stored in the ConfigMap. When
	// nil, Render reads m.File.
	MeshYAML []byte
	// KEDA adds a ScaledObject per function and leaves spec.replicas to it.
	KEDA bool
	// Resources of the worker containers. Nil: requests cpu 50m and memory
	// 64Mi, limits cpu 1 and memory 256Mi.
	Resources *corev1.ResourceRequirements
}

// Object is one rendered manifest: a typed API object, or unstructured for
// the KEDA ScaledObject.
type Object interface {
	runtime.Object
	metav1.Object
}

// Render returns the manifests of m's functions: the mesh ConfigMap first,
// then for each function in file order its Deployment, Service and (with
// KEDA) ScaledObject. m must be loaded (defaults applied). Every function
// that cannot be rendered is reported, joined; such errors wrap
// ErrUnsupported.
func Render(m *config.Mesh, o RenderOptions) ([]Object, error) {
	if m == nil {
		return nil, errors.New("render: mesh is nil")
	}
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	meshYAML := o.MeshYAML
	if meshYAML == nil {
		if m.File == "" {
			return nil, fmt.Errorf("render: MeshYAML: required when the mesh was not loaded from a file: %w", ErrInvalidOptions)
		}
		b, err := os.ReadFile(m.File)
		if err != nil {
			return nil, fmt.Errorf("render: mesh file: %w", err)
		}
		meshYAML = b
	}
	if len(meshYAML) > maxConfigMapBytes {
		return nil, fmt.Errorf("render: mesh file: %d bytes: a ConfigMap holds at most %d: %w", len(meshYAML), maxConfigMapBytes, ErrInvalidOptions)
	}

	r := renderer{m: m, o: o, partOf: kube.FunctionLabel(cmp.Or(m.Metadata.Name, "fnmesh"))}
	sum := sha256.Sum256(meshYAML)
	r.meshHash = hex.EncodeToString(sum[:])
	objs := []Object{r.configMap(meshYAML)}
	var errs []error
	for i := range m.Functions {
		fn := &m.Functions[i]
		c, err := r.container(i, fn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, r.deployment(fn, c), r.service(fn))
		if o.KEDA {
			objs = append(objs, r.scaledObject(fn))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return objs, nil
}

// setDefaults fills empty options and checks the rest.
func (o *RenderOptions) setDefaults() error {
	o.Namespace = cmp.Or(o.Namespace, DefaultNamespace)
	o.Image = cmp.Or(o.Image, DefaultImage)
	o.NATSURL = cmp.Or(o.NATSURL, DefaultNATSURL)
	o.ConfigMapName = cmp.Or(o.ConfigMapName, DefaultConfigMapName)
	o.ImagePullPolicy = cmp.Or(o.ImagePullPolicy, corev1.PullIfNotPresent)
	var errs []error
	bad := func(field, value, rule string) {
		errs = append(errs, fmt.Errorf("render: %s %q: %s: %w", field, value, rule, ErrInvalidOptions))
	}
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		bad("namespace", o.Namespace, strings.Join(msgs, "; "))
	}
	if msgs := validation.IsDNS1123Subdomain(o.ConfigMapName); len(msgs) > 0 {
		bad("configMapName", o.ConfigMapName, strings.Join(msgs, "; "))
	}
	if strings.TrimSpace(o.Image) != o.Image || strings.ContainsAny(o.Image, " \t\n") {
		bad("image", o.Image, "must not contain white space")
	}
	switch o.ImagePullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		bad("imagePullPolicy", string(o.ImagePullPolicy), "must be Always, IfNotPresent or Never")
	}
	if o.NATSMonitoringEndpoint == "" {
		host, err := natsHost(o.NATSURL)
		if err != nil {
			bad("natsURL", o.NATSURL, err.Error())
		} else {
			o.NATSMonitoringEndpoint = net.JoinHostPort(host, DefaultMonitoringPort)
		}
	} else if _, _, err := net.SplitHostPort(o.NATSMonitoringEndpoint); err != nil {
		bad("natsMonitoringEndpoint", o.NATSMonitoringEndpoint, "must be host:port")
	}
	return errors.Join(errs...)
}

// natsHost is the host of the first URL of a NATS_URL list.
func natsHost(s string) (string, error) {
	first, _, _ := strings.Cut(s, ",")
	first = strings.TrimSpace(first)
	if !strings.Contains(first, "://") {
		first = "nats://" + first
	}
	u, err := url.Parse(first)
	if err != nil || u.Hostname() == "" {
		return "", errors.New("must be a NATS URL such as nats://nats:4222")
	}
	return u.Hostname(), nil
}

// renderer holds what every object of one Render shares.
type renderer struct {
	m        *config.Mesh
	o        RenderOptions
	partOf   string // app.kubernetes.io/part-of
	meshHash string // sha256 of the mesh file, rolls pods when it changes
}

// labels are the labels of every object of fn.
func (r *renderer) labels(fn string) map[string]string {
	return map[string]string{
		kube.LabelName:                 kube.WorkerName,
		"app.kubernetes.io/instance":   kube.DeploymentName(fn),
		"app.kubernetes.io/component":  "worker",
		"app.kubernetes.io/part-of":    r.partOf,
		"app.kubernetes.io/managed-by": "fnmesh",
		kube.LabelFunction:             kube.FunctionLabel(fn),
	}
}

// selector selects the pods of fn (kube.Selector).
func selector(fn string) map[string]string {
	return map[string]string{
		kube.LabelName:     kube.WorkerName,
		kube.LabelFunction: kube.FunctionLabel(fn),
	}
}

// meta is the ObjectMeta of an object of fn named name.
func (r *renderer) meta(fn, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   r.o.Namespace,
		Labels:      r.labels(fn),
		Annotations: map[string]string{kube.AnnotationFunction: fn},
	}
}

// configMap holds the mesh file: as text, or as binaryData when it is not
// valid UTF-8 (which text data may not hold). Either way it is mounted as the
// same file.
func (r *renderer) configMap(meshYAML []byte) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      r.o.ConfigMapName,
			Namespace: r.o.Namespace,
			Labels: map[string]string{
				"app.kubernetes.io/part-of":    r.partOf,
				"app.kubernetes.io/managed-by": "fnmesh",
			},
		},
	}
	if utf8.Valid(meshYAML) {
		cm.Data = map[string]string{meshKey: string(meshYAML)}
	} else {
		cm.BinaryData = map[string][]byte{meshKey: meshYAML}
	}
	return cm
}
