// Code copied from kubetest/kubetest.go for the tests of package kube
// itself (kubetest imports kube, so they cannot import it).

package kube

import (
	"context"
	"errors"
	"strconv"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// fakeCluster is a Cluster served by a client-go clientset.
type fakeCluster struct {
	CS kubernetes.Interface
}

var _ Cluster = (*fakeCluster)(nil)

// newFakeCluster adapts cs.
func newFakeCluster(cs kubernetes.Interface) *fakeCluster { return &fakeCluster{CS: cs} }

// apiError turns client-go's status errors into APIError.
func apiError(err error) error {
	var se apierrors.APIStatus
	if err == nil || !errors.As(err, &se) {
		return err
	}
	st := se.Status()
	return &APIError{Code: int(st.Code), Reason: string(st.Reason), Message: st.Message}
}

func meta(m metav1.ObjectMeta) ObjectMeta {
	out := ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: string(m.UID), ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, CreationTimestamp: m.CreationTimestamp.Time, Labels: m.Labels, Annotations: m.Annotations,
	}
	if m.DeletionTimestamp != nil {
		out.DeletionTimestamp = &m.DeletionTimestamp.Time
	}
	return out
}

// ScaleDeployment merge-patches the Deployment's scale subresource. The
// fake clientset answers with the Deployment; its replicas and metadata
// are returned as the Scale.
func (c *fakeCluster) ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*Scale, error) {
	d, err := c.CS.AppsV1().Deployments(ns).Patch(ctx, name, types.MergePatchType, []byte(`{"spec":{"replicas":`+strconv.Itoa(int(replicas))+`}}`), metav1.PatchOptions{}, "scale")
	if err != nil {
		return nil, apiError(err)
	}
	s := &Scale{Metadata: meta(d.ObjectMeta)}
	if d.Spec.Replicas != nil {
		s.Spec.Replicas = *d.Spec.Replicas
	}
	return s, nil
}

func pod(p *corev1.Pod) *Pod {
	out := &Pod{Metadata: meta(p.ObjectMeta)}
	out.Status.Phase = string(p.Status.Phase)
	if p.Status.StartTime != nil {
		out.Status.StartTime = &p.Status.StartTime.Time
	}
	for _, cs := range p.Status.ContainerStatuses {
		var s ContainerStatus
		if w := cs.State.Waiting; w != nil {
			s.State.Waiting = &struct {
				Reason string `json:"reason,omitempty"`
			}{Reason: w.Reason}
		}
		out.Status.ContainerStatuses = append(out.Status.ContainerStatuses, s)
	}
	return out
}

// ListPods lists pods by selector.
func (c *fakeCluster) ListPods(ctx context.Context, ns, selector string) ([]Pod, error) {
	l, err := c.CS.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, apiError(err)
	}
	out := make([]Pod, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, *pod(&l.Items[i]))
	}
	return out, nil
}

// GetPod reads a pod.
func (c *fakeCluster) GetPod(ctx context.Context, ns, name string) (*Pod, error) {
	p, err := c.CS.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	return pod(p), nil
}

// DeletePod deletes a pod.
func (c *fakeCluster) DeletePod(ctx context.Context, ns, name string, opts DeleteOptions) error {
	o := metav1.DeleteOptions{GracePeriodSeconds: opts.GracePeriodSeconds}
	if opts.PreconditionUID != "" {
		uid := types.UID(opts.PreconditionUID)
		o.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	return apiError(c.CS.CoreV1().Pods(ns).Delete(ctx, name, o))
}

func micro(t *MicroTime) *metav1.MicroTime {
	if t == nil {
		return nil
	}
	return &metav1.MicroTime{Time: t.Time}
}

func fromMicro(t *metav1.MicroTime) *MicroTime {
	if t == nil {
		return nil
	}
	return &MicroTime{Time: t.Time}
}

func toLease(l *Lease) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name: l.Metadata.Name, Namespace: l.Metadata.Namespace, UID: types.UID(l.Metadata.UID),
			ResourceVersion: l.Metadata.ResourceVersion, Labels: l.Metadata.Labels, Annotations: l.Metadata.Annotations,
		},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: l.Spec.HolderIdentity, LeaseDurationSeconds: l.Spec.LeaseDurationSeconds,
			AcquireTime: micro(l.Spec.AcquireTime), RenewTime: micro(l.Spec.RenewTime), LeaseTransitions: l.Spec.LeaseTransitions,
			PreferredHolder: l.Spec.PreferredHolder, Strategy: (*coordinationv1.CoordinatedLeaseStrategy)(l.Spec.Strategy),
		},
	}
}

func fromLease(l *coordinationv1.Lease) *Lease {
	return &Lease{
		Metadata: meta(l.ObjectMeta),
		Spec: LeaseSpec{
			HolderIdentity: l.Spec.HolderIdentity, LeaseDurationSeconds: l.Spec.LeaseDurationSeconds,
			AcquireTime: fromMicro(l.Spec.AcquireTime), RenewTime: fromMicro(l.Spec.RenewTime), LeaseTransitions: l.Spec.LeaseTransitions,
			PreferredHolder: l.Spec.PreferredHolder, Strategy: (*string)(l.Spec.Strategy),
		},
	}
}

// GetLease reads a Lease.
func (c *fakeCluster) GetLease(ctx context.Context, ns, name string) (*Lease, error) {
	l, err := c.CS.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	return fromLease(l), nil
}

// CreateLease creates a Lease.
func (c *fakeCluster) CreateLease(ctx context.Context, l *Lease) (*Lease, error) {
	out, err := c.CS.CoordinationV1().Leases(l.Metadata.Namespace).Create(ctx, toLease(l), metav1.CreateOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	return fromLease(out), nil
}

// UpdateLease replaces a Lease (the tracker checks resourceVersion).
func (c *fakeCluster) UpdateLease(ctx context.Context, l *Lease) (*Lease, error) {
	out, err := c.CS.CoordinationV1().Leases(l.Metadata.Namespace).Update(ctx, toLease(l), metav1.UpdateOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	return fromLease(out), nil
}
