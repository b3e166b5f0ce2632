package kube_test

import (
	"context"
	"fmt"
	"log"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/fnmesh/fnmesh/workers/kube"
	"github.com/fnmesh/fnmesh/workers/kube/kubetest"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// The Kubernetes runtime scales the Deployment `fnmesh deploy render`
// wrote for a function. A real program passes kube.NewREST(cfg);
// the fake clientset stands in for a cluster here.
func ExampleNew() {
	cs := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: kube.DeploymentName("fulfil-order"), Namespace: "shop"},
	})
	rt, err := kube.New(kube.Config{API: kubetest.New(cs), Namespace: "shop", Functions: []scale.Workload{{Function: "fulfil-order"}}})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := rt.Scale(ctx, "fulfil-order", 4); err != nil {
		log.Fatal(err)
	}
	d, err := cs.AppsV1().Deployments("shop").Get(ctx, "fnmesh-fulfil-order", metav1.GetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Name, *d.Spec.Replicas)
	fmt.Println(kube.Selector("fulfil-order"))
	// Output:
	// fnmesh-fulfil-order 4
	// app.kubernetes.io/name=fnmesh-worker,fnmesh.dev/function=fulfil-order
}
