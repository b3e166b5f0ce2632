package meshmap_test

import (
	"fmt"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

func ExampleStreams() {
	m, err := config.Parse("mesh.yaml", []byte(`
apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
streams:
  - name: EVENTS
    subjects: ["events.>"]
    maxAge: 168h
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range meshmap.Streams(m) {
		fmt.Println(s.Name, s.Subjects, s.MaxAge, s.DuplicateWindow)
	}
	fmt.Printf("%+v\n", meshmap.DeadLetter(m))
	// Output:
	// EVENTS [events.>] 168h0m0s 2m0s
	// DEADLETTER [deadletter.>] 720h0m0s 0s
	// FNMESH_RUNS [fnmesh.runs.>] 24h0m0s 0s
	// {Stream:DEADLETTER SubjectPrefix:deadletter MaxAge:720h0m0s Replicas:1}
}
