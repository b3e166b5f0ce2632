package kubescaler

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	appsv1 "k8s.io/client-go/kubernetes/typed/apps/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// clientset serves the three API groups the scaler calls (apps for the
// Deployments, core for the pods, coordination for the Lease); every
// other group of kubernetes.Interface is nil. Building only these keeps
// the typed clients of the other groups out of the binary.
type clientset struct {
	kubernetes.Interface // nil: the scaler calls no other group
	apps                 appsv1.AppsV1Interface
	core                 corev1.CoreV1Interface
	coordination         coordinationv1.CoordinationV1Interface
}

func (c *clientset) AppsV1() appsv1.AppsV1Interface { return c.apps }
func (c *clientset) CoreV1() corev1.CoreV1Interface { return c.core }
func (c *clientset) CoordinationV1() coordinationv1.CoordinationV1Interface {
	return c.coordination
}

// NewClientset returns a client of cfg's cluster for what the scaler
// calls: AppsV1, CoreV1 and CoordinationV1. Any other group is nil.
func NewClientset(cfg *rest.Config) (kubernetes.Interface, error) {
	apps, err := appsv1.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubescaler: apps client: %w", err)
	}
	core, err := corev1.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubescaler: core client: %w", err)
	}
	coord, err := coordinationv1.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubescaler: coordination client: %w", err)
	}
	return &clientset{apps: apps, core: core, coordination: coord}, nil
}
