package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// REST is the Cluster of a real API server. It sends JSON over net/http
// (RESTConfig: a service account's token, re-read as it rotates, and CA,
// or a kubeconfig's token or client certificate) and decodes the answers
// into the k8s.io/api types with encoding/json. It does not use client-go:
// its typed clientset registers every API group of Kubernetes in its
// scheme (8 MB of the binary), and even its rest package with a scheme of
// five kinds costs 8 MB more than this client.
// API errors are decoded from the server's Status into
// *apierrors.StatusError, as client-go does.
type REST struct {
	hc   *http.Client
	base *url.URL
	ua   string
}

var _ Cluster = (*REST)(nil)

// maxBody bounds what REST reads of one answer (a pod list of a large
// namespace stays far below it).
const maxBody = 64 << 20

// NewREST returns the client of cfg's cluster (InClusterConfig, or
// LoadKubeconfig's). It does not contact the cluster.
func NewREST(cfg *RESTConfig) (*REST, error) {
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	host := cfg.Host
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	base, err := url.Parse(host)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("kubernetes client: host %q: not a URL", cfg.Host)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	ua := cfg.UserAgent
	if ua == "" {
		ua = "fnmesh"
	}
	return &REST{hc: hc, base: base, ua: ua}, nil
}

// do sends body (nil, or JSON-encoded in) to path and decodes the answer
// into out (when non-nil). gr and name say what the call was about in an
// error.
func (r *REST) do(ctx context.Context, method, path, contentType string, in any, out any, gr schema.GroupResource, name string) error {
	u := *r.base
	p, q, _ := strings.Cut(path, "?")
	u.Path += p
	u.RawQuery = q
	var body io.Reader
	if in != nil {
		b, ok := in.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(in); err != nil {
				return fmt.Errorf("kubernetes client: %s %s: encode: %w", method, p, err)
			}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("kubernetes client: %s %s: %w", method, p, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", r.ua)
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("kubernetes client: %s %s: %w", method, p, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("kubernetes client: %s %s: read answer: %w", method, p, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp.StatusCode, data, method, gr, name)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("kubernetes client: %s %s: decode answer: %w", method, p, err)
	}
	return nil
}

// statusError is the API's error for an answer with code: the Status the
// server sent when it is one, else a generic error of the code (as
// client-go builds them).
func statusError(code int, data []byte, method string, gr schema.GroupResource, name string) error {
	var st metav1.Status
	if json.Unmarshal(data, &st) == nil && st.Kind == "Status" && st.Code != 0 {
		return &apierrors.StatusError{ErrStatus: st}
	}
	verb := strings.ToLower(method)
	return apierrors.NewGenericServerResponse(code, verb, gr, name, strings.TrimSpace(string(data)), 0, true)
}

var (
	podsGR   = schema.GroupResource{Resource: "pods"}
	scaleGR  = schema.GroupResource{Group: "apps", Resource: "deployments/scale"}
	leasesGR = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
)

func pathEscape(s string) string { return url.PathEscape(s) }

// ScaleDeployment merge-patches deployments/NAME/scale.
func (r *REST) ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*autoscalingv1.Scale, error) {
	out := &autoscalingv1.Scale{}
	path := "/apis/apps/v1/namespaces/" + pathEscape(ns) + "/deployments/" + pathEscape(name) + "/scale"
	err := r.do(ctx, http.MethodPatch, path, "application/merge-patch+json", fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas), out, scaleGR, name)
	return out, err
}

// ListPods lists pods by label selector.
func (r *REST) ListPods(ctx context.Context, ns, selector string) ([]corev1.Pod, error) {
	out := &corev1.PodList{}
	path := "/api/v1/namespaces/" + pathEscape(ns) + "/pods?labelSelector=" + url.QueryEscape(selector)
	err := r.do(ctx, http.MethodGet, path, "", nil, out, podsGR, "")
	return out.Items, err
}

// GetPod reads a pod.
func (r *REST) GetPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	err := r.do(ctx, http.MethodGet, "/api/v1/namespaces/"+pathEscape(ns)+"/pods/"+pathEscape(name), "", nil, out, podsGR, name)
	return out, err
}

// DeletePod deletes a pod.
func (r *REST) DeletePod(ctx context.Context, ns, name string, opts metav1.DeleteOptions) error {
	opts.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}
	return r.do(ctx, http.MethodDelete, "/api/v1/namespaces/"+pathEscape(ns)+"/pods/"+pathEscape(name), "application/json", &opts, nil, podsGR, name)
}

func leasePath(ns string) string {
	return "/apis/coordination.k8s.io/v1/namespaces/" + pathEscape(ns) + "/leases"
}

// GetLease reads a Lease.
func (r *REST) GetLease(ctx context.Context, ns, name string) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := r.do(ctx, http.MethodGet, leasePath(ns)+"/"+pathEscape(name), "", nil, out, leasesGR, name)
	return out, err
}

// CreateLease creates a Lease.
func (r *REST) CreateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	in := l.DeepCopy()
	in.TypeMeta = metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"}
	out := &coordinationv1.Lease{}
	err := r.do(ctx, http.MethodPost, leasePath(l.Namespace), "application/json", in, out, leasesGR, l.Name)
	return out, err
}

// UpdateLease replaces a Lease; the server refuses it with 409 Conflict
// when l.ResourceVersion is not the Lease's current one.
func (r *REST) UpdateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	in := l.DeepCopy()
	in.TypeMeta = metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"}
	out := &coordinationv1.Lease{}
	err := r.do(ctx, http.MethodPut, leasePath(l.Namespace)+"/"+pathEscape(l.Name), "application/json", in, out, leasesGR, l.Name)
	return out, err
}
