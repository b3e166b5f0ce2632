package k8s

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

// FuzzRender: whatever mesh file the loader accepts, Render either names
// the function it cannot run or writes manifests that decode strictly into
// the Kubernetes API types.
func FuzzRender(f *testing.F) {
	for _, name := range []string{"shop.mesh.yaml", "local.mesh.yaml", "secrets.mesh.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nmetadata: {name: \"Ünïcode mesh\"}\nfunctions:\n  - name: X_\n    run: {image: a}\n    timeout: 24h\n"), true)
	f.Fuzz(func(t *testing.T, meshYAML []byte, keda bool) {
		m, err := meshmap.Parse("mesh.yaml", meshYAML)
		if err != nil {
			return
		}
		objs, err := Render(m, RenderOptions{MeshYAML: meshYAML, Scaler: map[bool]string{true: ScalerKEDA, false: ScalerFnmesh}[keda]})
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Render: %v", err)
			}
			return
		}
		b, err := Marshal(objs)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		d := decodeStrict(t, b)
		if len(d.deployments) < len(m.Functions)+1 || len(d.services) != len(m.Functions)+1 {
			t.Fatalf("%d functions, %d Deployments, %d Services; want a Deployment and a Service each, and the triggers", len(m.Functions), len(d.deployments), len(d.services))
		}
		cm := d.configMaps[0]
		if got, ok := cm.Data["mesh.yaml"]; ok && got != string(meshYAML) || !ok && !bytes.Equal(cm.BinaryData["mesh.yaml"], meshYAML) {
			t.Fatalf("ConfigMap does not hold the mesh file as written")
		}
	})
}
