package kube

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// REST is the Cluster of a real API server. It sends JSON over net/http
// (RESTConfig: a service account's token, re-read as it rotates, and CA,
// or a kubeconfig's token or client certificate) and decodes the answers
// into this package's kinds with encoding/json. It does not use client-go:
// its typed clientset registers every API group of Kubernetes in its
// scheme (8 MB of the binary), and even its rest package with a scheme of
// five kinds costs 8 MB more than this client.
// A refusal is an *APIError with the reason of the server's Status.
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
func (r *REST) do(ctx context.Context, method, path, contentType string, in any, out any) error {
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
		return statusError(resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("kubernetes client: %s %s: decode answer: %w", method, p, err)
	}
	return nil
}

// statusError is the *APIError of an answer with code, with the reason
// and message of the Status the server sent when it sent one.
func statusError(code int, data []byte) error {
	var st struct {
		Kind    string `json:"kind"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	e := &APIError{Code: code, Reason: http.StatusText(code)}
	if json.Unmarshal(data, &st) == nil && st.Kind == "Status" {
		e.Reason, e.Message = cmp.Or(st.Reason, e.Reason), st.Message
	} else if len(data) > 0 {
		e.Message = strings.TrimSpace(string(data[:min(len(data), 512)]))
	}
	return e
}

// leaseBody is a Lease with its kind, as the API wants it written.
type leaseBody struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	*Lease
}

func pathEscape(s string) string { return url.PathEscape(s) }

// ScaleDeployment merge-patches deployments/NAME/scale.
func (r *REST) ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*Scale, error) {
	out := &Scale{}
	path := "/apis/apps/v1/namespaces/" + pathEscape(ns) + "/deployments/" + pathEscape(name) + "/scale"
	err := r.do(ctx, http.MethodPatch, path, "application/merge-patch+json", fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas), out)
	return out, err
}

// ListPods lists pods by label selector.
func (r *REST) ListPods(ctx context.Context, ns, selector string) ([]Pod, error) {
	out := &struct {
		Items []Pod `json:"items"`
	}{}
	path := "/api/v1/namespaces/" + pathEscape(ns) + "/pods?labelSelector=" + url.QueryEscape(selector)
	err := r.do(ctx, http.MethodGet, path, "", nil, out)
	return out.Items, err
}

// GetPod reads a pod.
func (r *REST) GetPod(ctx context.Context, ns, name string) (*Pod, error) {
	out := &Pod{}
	err := r.do(ctx, http.MethodGet, "/api/v1/namespaces/"+pathEscape(ns)+"/pods/"+pathEscape(name), "", nil, out)
	return out, err
}

// DeletePod deletes a pod.
func (r *REST) DeletePod(ctx context.Context, ns, name string, opts DeleteOptions) error {
	body := map[string]any{"apiVersion": "v1", "kind": "DeleteOptions"}
	if opts.GracePeriodSeconds != nil {
		body["gracePeriodSeconds"] = *opts.GracePeriodSeconds
	}
	if opts.PreconditionUID != "" {
		body["preconditions"] = map[string]string{"uid": opts.PreconditionUID}
	}
	return r.do(ctx, http.MethodDelete, "/api/v1/namespaces/"+pathEscape(ns)+"/pods/"+pathEscape(name), "application/json", body, nil)
}

func leasePath(ns string) string {
	return "/apis/coordination.k8s.io/v1/namespaces/" + pathEscape(ns) + "/leases"
}

// GetLease reads a Lease.
func (r *REST) GetLease(ctx context.Context, ns, name string) (*Lease, error) {
	out := &Lease{}
	err := r.do(ctx, http.MethodGet, leasePath(ns)+"/"+pathEscape(name), "", nil, out)
	return out, err
}

// CreateLease creates a Lease.
func (r *REST) CreateLease(ctx context.Context, l *Lease) (*Lease, error) {
	in := leaseBody{APIVersion: "coordination.k8s.io/v1", Kind: "Lease", Lease: l}
	out := &Lease{}
	err := r.do(ctx, http.MethodPost, leasePath(l.Metadata.Namespace), "application/json", in, out)
	return out, err
}

// UpdateLease replaces a Lease; the server refuses it with 409 Conflict
// when l.ResourceVersion is not the Lease's current one.
func (r *REST) UpdateLease(ctx context.Context, l *Lease) (*Lease, error) {
	in := leaseBody{APIVersion: "coordination.k8s.io/v1", Kind: "Lease", Lease: l}
	out := &Lease{}
	err := r.do(ctx, http.MethodPut, leasePath(l.Metadata.Namespace)+"/"+pathEscape(l.Metadata.Name), "application/json", in, out)
	return out, err
}
