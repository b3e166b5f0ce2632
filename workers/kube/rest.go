package kube

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// REST is the Cluster of a real API server: k8s.io/client-go/rest with a
// scheme that holds only the kinds fnmesh reads and writes (core/v1 Pod,
// PodList and DeleteOptions, autoscaling/v1 Scale, coordination/v1 Lease,
// and the API's Status). The typed clientset of client-go registers every
// API group of Kubernetes in its scheme, which costs the binary about
// 8 MB; this client does not link it.
type REST struct {
	core, apps, coordination *rest.RESTClient
}

var _ Cluster = (*REST)(nil)

// scheme is the minimal scheme of REST.
func scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	core := schema.GroupVersion{Version: "v1"}
	s.AddKnownTypes(core, &corev1.Pod{}, &corev1.PodList{})
	metav1.AddToGroupVersion(s, core) // Status and DeleteOptions
	s.AddKnownTypes(autoscalingv1.SchemeGroupVersion, &autoscalingv1.Scale{})
	metav1.AddToGroupVersion(s, autoscalingv1.SchemeGroupVersion)
	s.AddKnownTypes(coordinationv1.SchemeGroupVersion, &coordinationv1.Lease{})
	metav1.AddToGroupVersion(s, coordinationv1.SchemeGroupVersion)
	return s, nil
}

// NewREST returns the client of cfg's cluster (rest.InClusterConfig, or a
// kubeconfig's). It does not contact the cluster.
func NewREST(cfg *rest.Config) (*REST, error) {
	s, err := scheme()
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: scheme: %w", err)
	}
	codecs := serializer.NewCodecFactory(s).WithoutConversion()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	client := func(apiPath string, gv schema.GroupVersion) (*rest.RESTClient, error) {
		c := rest.CopyConfig(cfg)
		c.APIPath = apiPath
		c.GroupVersion = &gv
		c.NegotiatedSerializer = codecs
		c.ContentType = runtime.ContentTypeJSON
		c.AcceptContentTypes = runtime.ContentTypeJSON
		if c.UserAgent == "" {
			c.UserAgent = "fnmesh"
		}
		rc, err := rest.RESTClientForConfigAndClient(c, hc)
		if err != nil {
			return nil, fmt.Errorf("kubernetes client: %s: %w", gv, err)
		}
		return rc, nil
	}
	r := &REST{}
	if r.core, err = client("/api", schema.GroupVersion{Version: "v1"}); err != nil {
		return nil, err
	}
	if r.apps, err = client("/apis", schema.GroupVersion{Group: "apps", Version: "v1"}); err != nil {
		return nil, err
	}
	if r.coordination, err = client("/apis", coordinationv1.SchemeGroupVersion); err != nil {
		return nil, err
	}
	return r, nil
}

// ScaleDeployment patches deployments/NAME/scale.
func (r *REST) ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*autoscalingv1.Scale, error) {
	out := &autoscalingv1.Scale{}
	err := r.apps.Patch(types.MergePatchType).Namespace(ns).Resource("deployments").Name(name).SubResource("scale").
		Body(fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas)).Do(ctx).Into(out)
	return out, err
}

// ListPods lists pods by label selector.
func (r *REST) ListPods(ctx context.Context, ns, selector string) ([]corev1.Pod, error) {
	out := &corev1.PodList{}
	err := r.core.Get().Namespace(ns).Resource("pods").Param("labelSelector", selector).Do(ctx).Into(out)
	return out.Items, err
}

// GetPod reads a pod.
func (r *REST) GetPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	err := r.core.Get().Namespace(ns).Resource("pods").Name(name).Do(ctx).Into(out)
	return out, err
}

// DeletePod deletes a pod.
func (r *REST) DeletePod(ctx context.Context, ns, name string, opts metav1.DeleteOptions) error {
	return r.core.Delete().Namespace(ns).Resource("pods").Name(name).Body(&opts).Do(ctx).Error()
}

// GetLease reads a Lease.
func (r *REST) GetLease(ctx context.Context, ns, name string) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := r.coordination.Get().Namespace(ns).Resource("leases").Name(name).Do(ctx).Into(out)
	return out, err
}

// CreateLease creates a Lease.
func (r *REST) CreateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := r.coordination.Post().Namespace(l.Namespace).Resource("leases").Body(l).Do(ctx).Into(out)
	return out, err
}

// UpdateLease replaces a Lease; the server refuses it with 409 Conflict
// when l.ResourceVersion is not the Lease's current one.
func (r *REST) UpdateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	err := r.coordination.Put().Namespace(l.Namespace).Resource("leases").Name(l.Name).Body(l).Do(ctx).Into(out)
	return out, err
}
