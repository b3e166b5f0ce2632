package k8s_test

import (
	"fmt"
	"log"

	"github.com/fnmesh/fnmesh/deploy/k8s"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

func ExampleRender() {
	meshYAML := []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shop }
functions:
  - name: fulfil-order
    filters:
      - exact: { type: com.example.order.created }
    run: { image: "registry.example.com/shop/fulfil-order:1" }
    scaling: { maxReplicaCount: 5, lagThreshold: 50 }
  - name: notify
    run: { http: { url: "http://notify.shop.svc/events" } }
`)
	m, err := meshmap.Parse("mesh.yaml", meshYAML)
	if err != nil {
		log.Fatal(err)
	}
	objs, err := k8s.Render(m, k8s.RenderOptions{
		Namespace: "shop",
		MeshYAML:  meshYAML,
		Scaler:    k8s.ScalerKEDA,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range objs {
		fmt.Println(k8s.FileName(o))
	}
	// Output:
	// configmap-fnmesh-mesh.yaml
	// deployment-fnmesh-triggers.yaml
	// service-fnmesh-triggers.yaml
	// deployment-fnmesh-fulfil-order.yaml
	// service-fnmesh-fulfil-order.yaml
	// scaledobject-fnmesh-fulfil-order.yaml
	// deployment-fnmesh-notify.yaml
	// service-fnmesh-notify.yaml
	// scaledobject-fnmesh-notify.yaml
}

func ExampleMarshal() {
	meshYAML := []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n  - name: hello\n    run: { image: hello:1 }\n")
	m, err := meshmap.Parse("mesh.yaml", meshYAML)
	if err != nil {
		log.Fatal(err)
	}
	objs, err := k8s.Render(m, k8s.RenderOptions{MeshYAML: meshYAML})
	if err != nil {
		log.Fatal(err)
	}
	// The Service of hello, as Marshal writes it.
	b, err := k8s.Marshal(objs[len(objs)-1:])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	// Output:
	// apiVersion: v1
	// kind: Service
	// metadata:
	//   annotations:
	//     fnmesh.dev/function: hello
	//   labels:
	//     app.kubernetes.io/component: worker
	//     app.kubernetes.io/instance: fnmesh-hello
	//     app.kubernetes.io/managed-by: fnmesh
	//     app.kubernetes.io/name: fnmesh-worker
	//     app.kubernetes.io/part-of: fnmesh
	//     fnmesh.dev/function: hello
	//   name: fnmesh-hello
	//   namespace: default
	// spec:
	//   ports:
	//   - name: health
	//     port: 8081
	//     protocol: TCP
	//     targetPort: health
	//   selector:
	//     app.kubernetes.io/name: fnmesh-worker
	//     fnmesh.dev/function: hello
	//   type: ClusterIP
}
