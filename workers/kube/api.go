package kube

import (
	"context"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// API is what the runtime calls of the Kubernetes API: the scale
// subresource of a Deployment and the pods. NewREST serves it from a
// cluster; kubetest adapts a client-go clientset (the fake one in tests).
// Errors are the API's own (*apierrors.StatusError), so
// apierrors.IsNotFound and IsConflict tell them apart.
type API interface {
	// ScaleDeployment sets spec.replicas of Deployment name in ns through
	// its scale subresource (a JSON merge patch) and returns the Scale.
	ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*autoscalingv1.Scale, error)
	// ListPods lists the pods of ns that match the label selector.
	ListPods(ctx context.Context, ns, selector string) ([]corev1.Pod, error)
	// GetPod reads one pod.
	GetPod(ctx context.Context, ns, name string) (*corev1.Pod, error)
	// DeletePod deletes one pod with opts (grace period, preconditions).
	DeletePod(ctx context.Context, ns, name string, opts metav1.DeleteOptions) error
}

// LeaseAPI reads and writes coordination.k8s.io/v1 Leases, for the
// in-cluster scaler's leader election. UpdateLease sends the Lease's
// resourceVersion, so a write over a newer Lease fails with a conflict.
type LeaseAPI interface {
	GetLease(ctx context.Context, ns, name string) (*coordinationv1.Lease, error)
	CreateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error)
	UpdateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error)
}

// Cluster is both: what the in-cluster scaler needs.
type Cluster interface {
	API
	LeaseAPI
}
