// Package kubetest adapts a client-go clientset (in tests, the fake one of
// k8s.io/client-go/kubernetes/fake) to kube.Cluster, so that the runtime
// and the in-cluster scaler run against the client-go object tracker. Only
// tests import it: the fnmesh binary talks to clusters with kube.NewREST.
package kubetest

import (
	"context"
	"strconv"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Clientset is a kube.Cluster served by a client-go clientset.
type Clientset struct {
	CS kubernetes.Interface
}

// New adapts cs.
func New(cs kubernetes.Interface) *Clientset { return &Clientset{CS: cs} }

// ScaleDeployment merge-patches the Deployment's scale subresource. The
// fake clientset answers with the Deployment; its replicas and generation
// are returned as the Scale.
func (c *Clientset) ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*autoscalingv1.Scale, error) {
	d, err := c.CS.AppsV1().Deployments(ns).Patch(ctx, name, types.MergePatchType, []byte(`{"spec":{"replicas":`+strconv.Itoa(int(replicas))+`}}`), metav1.PatchOptions{}, "scale")
	if err != nil {
		return nil, err
	}
	s := &autoscalingv1.Scale{ObjectMeta: d.ObjectMeta}
	if d.Spec.Replicas != nil {
		s.Spec.Replicas = *d.Spec.Replicas
	}
	return s, nil
}

// ListPods lists pods by selector.
func (c *Clientset) ListPods(ctx context.Context, ns, selector string) ([]corev1.Pod, error) {
	l, err := c.CS.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// GetPod reads a pod.
func (c *Clientset) GetPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	return c.CS.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
}

// DeletePod deletes a pod.
func (c *Clientset) DeletePod(ctx context.Context, ns, name string, opts metav1.DeleteOptions) error {
	return c.CS.CoreV1().Pods(ns).Delete(ctx, name, opts)
}

// GetLease reads a Lease.
func (c *Clientset) GetLease(ctx context.Context, ns, name string) (*coordinationv1.Lease, error) {
	return c.CS.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
}

// CreateLease creates a Lease.
func (c *Clientset) CreateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	return c.CS.CoordinationV1().Leases(l.Namespace).Create(ctx, l, metav1.CreateOptions{})
}

// UpdateLease replaces a Lease (the tracker checks resourceVersion).
func (c *Clientset) UpdateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	return c.CS.CoordinationV1().Leases(l.Namespace).Update(ctx, l, metav1.UpdateOptions{})
}
