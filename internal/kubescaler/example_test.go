package kubescaler_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/kubescaler"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/kube"
	"github.com/fnmesh/fnmesh/workers/kube/kubetest"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// A scaler takes the Lease and scales the function's Deployment. A real
// program passes kube.NewREST(kube.InClusterConfig()); the fake
// clientset stands in for a cluster here, and an embedded server for NATS.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "kubescaler")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	nc, err := srv.Connect("example")
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	m, err := meshmap.Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: fulfil-order
    run: { image: "shop/fulfil-order:1" }
    scaling: { minReplicaCount: 1 }
`))
	if err != nil {
		log.Fatal(err)
	}
	c, err := broker.New(nc, meshmap.Broker(m))
	if err != nil {
		log.Fatal(err)
	}
	if err := c.EnsureStreams(context.Background(), meshmap.Streams(m)...); err != nil {
		log.Fatal(err)
	}
	cs := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: kube.DeploymentName("fulfil-order"), Namespace: "shop"},
	})
	fns := meshmap.FunctionsOn(m, "")
	for i := range fns.Workloads {
		fns.Workloads[i].Runtime = scale.RuntimeKubernetes
	}
	backlog, err := scale.NewBrokerBacklog(c, fns.Consumers)
	if err != nil {
		log.Fatal(err)
	}
	s, err := kubescaler.New(kubescaler.Config{
		Cluster: kubetest.New(cs), Namespace: "shop", Functions: fns.Scaler.Functions, Workloads: fns.Workloads, Backlog: backlog, Identity: "scaler-0",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	scaled := poll.Wait(10*time.Second, func() bool {
		d, err := cs.AppsV1().Deployments("shop").Get(ctx, "fnmesh-fulfil-order", metav1.GetOptions{})
		return err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == 1
	})
	fmt.Println("leader:", s.Leader())
	fmt.Println("scaled to minReplicaCount:", scaled)
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	// Output:
	// leader: scaler-0
	// scaled to minReplicaCount: true
}
