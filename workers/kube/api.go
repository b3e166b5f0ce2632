package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// API is what the runtime calls of the Kubernetes API: the scale
// subresource of a Deployment and the pods. NewREST serves it from a
// cluster; package kubetest adapts a client-go clientset (the fake one in
// tests). A refusal of the API server is an *APIError (IsNotFound,
// IsConflict).
type API interface {
	// ScaleDeployment sets spec.replicas of Deployment name in ns through
	// its scale subresource (a JSON merge patch) and returns the Scale.
	ScaleDeployment(ctx context.Context, ns, name string, replicas int32) (*Scale, error)
	// ListPods lists the pods of ns that match the label selector.
	ListPods(ctx context.Context, ns, selector string) ([]Pod, error)
	// GetPod reads one pod.
	GetPod(ctx context.Context, ns, name string) (*Pod, error)
	// DeletePod deletes one pod with opts (grace period, preconditions).
	DeletePod(ctx context.Context, ns, name string, opts DeleteOptions) error
}

// LeaseAPI reads and writes coordination.k8s.io/v1 Leases, for the
// in-cluster scaler's leader election. UpdateLease sends the Lease's
// resourceVersion, so a write over a newer Lease fails with a conflict.
type LeaseAPI interface {
	GetLease(ctx context.Context, ns, name string) (*Lease, error)
	CreateLease(ctx context.Context, l *Lease) (*Lease, error)
	UpdateLease(ctx context.Context, l *Lease) (*Lease, error)
}

// Cluster is both: what the in-cluster scaler needs.
type Cluster interface {
	API
	LeaseAPI
}

// The kinds below are the fields of the Kubernetes objects fnmesh reads
// and writes, with the API's JSON names. They stand in for k8s.io/api's
// types, which are not linked into the fnmesh binary (see NewREST).

// ObjectMeta is the metadata fnmesh reads and keeps on an update.
type ObjectMeta struct {
	Name              string            `json:"name,omitempty"`
	Namespace         string            `json:"namespace,omitempty"`
	UID               string            `json:"uid,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	Generation        int64             `json:"generation,omitempty"`
	CreationTimestamp time.Time         `json:"creationTimestamp,omitzero"`
	DeletionTimestamp *time.Time        `json:"deletionTimestamp,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	OwnerReferences   json.RawMessage   `json:"ownerReferences,omitempty"`
}

// Scale is autoscaling/v1 Scale.
type Scale struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Replicas int32 `json:"replicas"`
	} `json:"spec"`
}

// Pod is what the runtime reads of a core/v1 Pod.
type Pod struct {
	Metadata ObjectMeta `json:"metadata"`
	Status   PodStatus  `json:"status"`
}

// Pod phases the runtime tells apart.
const (
	PodRunning   = "Running"
	PodSucceeded = "Succeeded"
	PodFailed    = "Failed"
)

// PodStatus is what the runtime reads of a pod's status.
type PodStatus struct {
	Phase             string            `json:"phase,omitempty"`
	StartTime         *time.Time        `json:"startTime,omitempty"`
	ContainerStatuses []ContainerStatus `json:"containerStatuses,omitempty"`
}

// ContainerStatus is the waiting reason of a container.
type ContainerStatus struct {
	State struct {
		Waiting *struct {
			Reason string `json:"reason,omitempty"`
		} `json:"waiting,omitempty"`
	} `json:"state"`
}

// DeleteOptions are the options of a pod's deletion.
type DeleteOptions struct {
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
	// PreconditionUID, when set, deletes only the pod of that UID.
	PreconditionUID string `json:"-"`
}

// Lease is coordination.k8s.io/v1 Lease.
type Lease struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     LeaseSpec  `json:"spec"`
}

// LeaseSpec is a Lease's spec, every field of coordination.k8s.io/v1 so
// that an update keeps what others wrote.
type LeaseSpec struct {
	HolderIdentity       *string    `json:"holderIdentity,omitempty"`
	LeaseDurationSeconds *int32     `json:"leaseDurationSeconds,omitempty"`
	AcquireTime          *MicroTime `json:"acquireTime,omitempty"`
	RenewTime            *MicroTime `json:"renewTime,omitempty"`
	LeaseTransitions     *int32     `json:"leaseTransitions,omitempty"`
	Strategy             *string    `json:"strategy,omitempty"`
	PreferredHolder      *string    `json:"preferredHolder,omitempty"`
}

// MicroTime is a time with microseconds, as the API writes Lease times
// (metav1.MicroTime: RFC 3339 with six fraction digits, in UTC).
type MicroTime struct{ time.Time }

const microFormat = "2006-01-02T15:04:05.000000Z07:00"

// MarshalJSON writes t in UTC with microseconds.
func (t MicroTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(microFormat))
}

// UnmarshalJSON reads an RFC 3339 time (null is the zero time).
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("micro time %q: %w", s, err)
	}
	t.Time = v.Local()
	return nil
}

// APIError is a refusal of the API server: its HTTP code and, when it sent
// one, the reason and message of its Status.
type APIError struct {
	Code    int
	Reason  string // e.g. NotFound, Conflict, Forbidden
	Message string
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s (%d %s)", e.Message, e.Code, e.Reason)
	}
	return fmt.Sprintf("the API server answered %d %s", e.Code, e.Reason)
}

// IsNotFound reports whether err is the API's 404.
func IsNotFound(err error) bool { return codeOf(err) == 404 }

// IsConflict reports whether err is the API's 409 (a stale
// resourceVersion, or an object that already exists).
func IsConflict(err error) bool { return codeOf(err) == 409 }

func codeOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
