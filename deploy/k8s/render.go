package k8s

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
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
	DefaultConfigMapName = "fnmesh-mesh"
	// DefaultNATSSecret is the Secret holding the NATS connection.
	DefaultNATSSecret = "fnmesh-nats"
	// DefaultTriggersSecret is the Secret holding the triggers' secrets.
	DefaultTriggersSecret = "fnmesh-triggers"
	// DefaultNATSMonitoringEndpoint is the NATS monitoring endpoint KEDA
	// reads: the NATS Helm chart's Service "nats", port 8222.
	DefaultNATSMonitoringEndpoint = "nats:8222"
	// DefaultKEDAAccount is the account of a NATS server without accounts.
	DefaultKEDAAccount = "$G"
)

// Scalers RenderOptions.Scaler chooses from.
const (
	// ScalerFnmesh renders `fnmesh scaler` (leader-elected, with its RBAC),
	// which sets the functions' spec.replicas.
	ScalerFnmesh = "fnmesh"
	// ScalerKEDA renders a KEDA ScaledObject per function.
	ScalerKEDA = "keda"
)

// Paths and ports inside pods.
const (
	// MeshDir is the directory of the mesh file in every pod.
	MeshDir = "/etc/fnmesh"
	// MeshFile is the mesh file inside pods (FNMESH_FILE).
	MeshFile = MeshDir + "/mesh.yaml"
	// meshKey is the ConfigMap key holding the mesh file.
	meshKey = "mesh.yaml"
	// NATSDir is where the files of the NATS Secret (creds, CA,
	// client certificate) are mounted.
	NATSDir = "/etc/fnmesh-nats"
	// HealthPort serves a worker's /livez and /readyz (FNMESH_HEALTH_ADDR=:8081).
	HealthPort = 8081
	// HTTPPort is where the triggers and the scaler listen (FNMESH_HTTP_ADDR=:8080).
	HTTPPort = 8080
	// healthPortName names the health port of worker containers and Services.
	healthPortName = "health"
	// httpPortName names the HTTP port of the triggers and the scaler.
	httpPortName = "http"
	// maxConfigMapBytes is the most a ConfigMap holds.
	maxConfigMapBytes = 1 << 20
	// imageUser is the user of the fnmesh image (deploy/Dockerfile).
	imageUser = 65532
)

// Errors callers branch on.
var (
	// ErrUnsupported means a function or trigger cannot run on Kubernetes
	// as declared (a local program without kubernetes.image, an inline
	// secret).
	ErrUnsupported = errors.New("cannot run on kubernetes")
	// ErrInvalidOptions means a RenderOptions field breaks its rule.
	ErrInvalidOptions = errors.New("invalid render options")
)

// RenderOptions says where and how the mesh runs. The zero value renders
// into namespace "default" with the fnmesh:dev image, NATS from the Secret
// fnmesh-nats and fnmesh's own scaler.
type RenderOptions struct {
	// Namespace of every object. Default DefaultNamespace.
	Namespace string
	// Image is the fnmesh image: it runs the triggers (`fnmesh up
	// --no-functions`), the scaler and the workers of run.http functions.
	// Default DefaultImage.
	Image string
	// ImagePullPolicy of every container. Default IfNotPresent.
	ImagePullPolicy corev1.PullPolicy
	// ConfigMapName names the ConfigMap holding the mesh file. Default
	// DefaultConfigMapName.
	ConfigMapName string
	// MeshYAML is the mesh file as written, stored in the ConfigMap. When
	// nil, Render reads m.File.
	MeshYAML []byte
	// Scaler is ScalerFnmesh (default) or ScalerKEDA.
	Scaler string
	// TriggersReplicas is the number of triggers pods. Default 1.
	TriggersReplicas int
	// ScalerReplicas is the number of `fnmesh scaler` pods; one leads.
	// Default 2.
	ScalerReplicas int

	// NATSSecret names the Secret every pod reads NATS from: key "url"
	// (NATS_URL, required), optional keys "user", "password" and "token"
	// (NATS_USER, NATS_PASSWORD, NATS_TOKEN). Default DefaultNATSSecret.
	NATSSecret string
	// NATSCreds mounts key "creds" of NATSSecret and sets NATS_CREDS.
	NATSCreds bool
	// NATSCA mounts key "ca.crt" of NATSSecret and sets NATS_CA.
	NATSCA bool
	// NATSClientCert mounts keys "tls.crt" and "tls.key" of NATSSecret
	// and sets NATS_CERT and NATS_KEY.
	NATSClientCert bool
	// TriggersSecret names the Secret holding the triggers' secretRefs:
	// a secretRef {env: NAME} is its key NAME, a secretRef {file: PATH}
	// its key PATH with '/' as '.'. Default DefaultTriggersSecret.
	TriggersSecret string

	// NATSMonitoringEndpoint is the "host:port" of the NATS monitoring
	// endpoint KEDA reads (natsServerMonitoringEndpoint). Default
	// DefaultNATSMonitoringEndpoint.
	NATSMonitoringEndpoint string
	// KEDAAccount is the NATS account KEDA looks the consumers up in.
	// Default DefaultKEDAAccount.
	KEDAAccount string
	// KEDAUseHTTPS makes KEDA read the monitoring endpoint over HTTPS.
	KEDAUseHTTPS bool
	// KEDAAuthSecret, when set, renders a TriggerAuthentication that
	// gives KEDA natsServerMonitoringEndpoint from that Secret's key
	// "natsServerMonitoringEndpoint" (for an endpoint that carries
	// credentials); the ScaledObjects then reference it instead of
	// naming the endpoint.
	KEDAAuthSecret string

	// Resources of the worker containers of functions that set no
	// kubernetes.resources. Nil: requests cpu 50m and memory 64Mi, limits
	// cpu 1 and memory 256Mi.
	Resources *corev1.ResourceRequirements
}

// Object is one rendered manifest: a typed API object, or unstructured for
// the KEDA ScaledObject and TriggerAuthentication.
type Object interface {
	runtime.Object
	metav1.Object
}

// Render returns the manifests of m:
//
//   - the mesh ConfigMap;
//   - the triggers Deployment and Service;
//   - with ScalerFnmesh, the scaler's ServiceAccount, Role, RoleBinding
//     and Deployment; with ScalerKEDA and KEDAAuthSecret, the
//     TriggerAuthentication;
//   - for each function in file order, its Deployment, Service and (with
//     KEDA) ScaledObject.
//
// m must be loaded (defaults applied). Every function or trigger that
// cannot be rendered is reported, joined; such errors wrap ErrUnsupported.
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
	trig, err := r.triggers()
	if err != nil {
		errs = append(errs, err)
	}
	objs = append(objs, trig...)
	switch {
	case o.Scaler == ScalerFnmesh && len(m.Functions) > 0:
		objs = append(objs, r.scaler()...)
	case o.Scaler == ScalerKEDA && o.KEDAAuthSecret != "":
		objs = append(objs, r.triggerAuthentication())
	}
	for i := range m.Functions {
		fn := &m.Functions[i]
		c, err := r.container(i, fn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, r.deployment(fn, c), r.service(fn))
		if o.Scaler == ScalerKEDA {
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
	o.ConfigMapName = cmp.Or(o.ConfigMapName, DefaultConfigMapName)
	o.ImagePullPolicy = cmp.Or(o.ImagePullPolicy, corev1.PullIfNotPresent)
	o.Scaler = cmp.Or(o.Scaler, ScalerFnmesh)
	o.TriggersReplicas = cmp.Or(o.TriggersReplicas, 1)
	o.ScalerReplicas = cmp.Or(o.ScalerReplicas, 2)
	o.NATSSecret = cmp.Or(o.NATSSecret, DefaultNATSSecret)
	o.TriggersSecret = cmp.Or(o.TriggersSecret, DefaultTriggersSecret)
	o.NATSMonitoringEndpoint = cmp.Or(o.NATSMonitoringEndpoint, DefaultNATSMonitoringEndpoint)
	o.KEDAAccount = cmp.Or(o.KEDAAccount, DefaultKEDAAccount)
	var errs []error
	bad := func(field, value, rule string) {
		errs = append(errs, fmt.Errorf("render: %s %q: %s: %w", field, value, rule, ErrInvalidOptions))
	}
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		bad("namespace", o.Namespace, strings.Join(msgs, "; "))
	}
	for _, n := range []struct{ field, value string }{
		{"configMapName", o.ConfigMapName}, {"natsSecret", o.NATSSecret}, {"triggersSecret", o.TriggersSecret},
	} {
		if msgs := validation.IsDNS1123Subdomain(n.value); len(msgs) > 0 {
			bad(n.field, n.value, strings.Join(msgs, "; "))
		}
	}
	if o.KEDAAuthSecret != "" {
		if msgs := validation.IsDNS1123Subdomain(o.KEDAAuthSecret); len(msgs) > 0 {
			bad("kedaAuthSecret", o.KEDAAuthSecret, strings.Join(msgs, "; "))
		}
	}
	if strings.TrimSpace(o.Image) != o.Image || strings.ContainsAny(o.Image, " \t\n") {
		bad("image", o.Image, "must not contain white space")
	}
	switch o.ImagePullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		bad("imagePullPolicy", string(o.ImagePullPolicy), "must be Always, IfNotPresent or Never")
	}
	if o.Scaler != ScalerFnmesh && o.Scaler != ScalerKEDA {
		bad("scaler", o.Scaler, "must be fnmesh or keda")
	}
	if o.TriggersReplicas < 0 || o.ScalerReplicas < 0 {
		bad("replicas", fmt.Sprint(min(o.TriggersReplicas, o.ScalerReplicas)), "must not be negative")
	}
	if _, _, err := net.SplitHostPort(o.NATSMonitoringEndpoint); err != nil {
		bad("natsMonitoringEndpoint", o.NATSMonitoringEndpoint, "must be host:port")
	}
	if o.KEDAAccount == "" || strings.ContainsAny(o.KEDAAccount, " \t\r\n&?#/") {
		bad("kedaAccount", o.KEDAAccount, "must be a NATS account name")
	}
	return errors.Join(errs...)
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

// componentLabels are the labels of the objects of a mesh-wide component
// ("triggers", "scaler"); the name label is "fnmesh-<component>", so no
// selector of a function's workers matches them.
func (r *renderer) componentLabels(component string) map[string]string {
	return map[string]string{
		kube.LabelName:                 "fnmesh-" + component,
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/part-of":    r.partOf,
		"app.kubernetes.io/managed-by": "fnmesh",
	}
}

// componentMeta is the ObjectMeta of an object of a component.
func (r *renderer) componentMeta(component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: "fnmesh-" + component, Namespace: r.o.Namespace, Labels: r.componentLabels(component)}
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
