package schemas

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fnmesh/fnmesh/schemas/internal/meshschema"
)

// TestMeshSchemaUpToDate fails while mesh.schema.json differs from what the
// Go types of the mesh file generate.
func TestMeshSchemaUpToDate(t *testing.T) {
	want, err := meshschema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("mesh.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("schemas/mesh.schema.json is stale; regenerate it with: go generate ./schemas")
	}
	if !bytes.Equal(MeshSchema(), got) {
		t.Error("MeshSchema() differs from mesh.schema.json")
	}
}

// compileMeshSchema compiles the committed mesh schema.
func compileMeshSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(MeshSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mesh.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mesh.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlInstance converts a YAML mesh file into a JSON instance.
func yamlInstance(t *testing.T, src []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestValidMeshFilesMatchSchema(t *testing.T) {
	s := compileMeshSchema(t)
	files := []string{filepath.Join("..", "functions", "examples", "mesh.yaml")}
	more, err := filepath.Glob(filepath.Join("..", "internal", "config", "testdata", "valid-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(yamlInstance(t, src)); err != nil {
				t.Errorf("%s does not match the schema: %v", f, err)
			}
		})
	}
}

func TestSchemaRejectsBadMeshFiles(t *testing.T) {
	s := compileMeshSchema(t)
	const head = "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{name: "unknown nested field", yaml: head + "functions:\n  - name: f\n    run: { exec: [cat] }\n    delivery: { retries: 3 }\n", want: "retries"},
		{name: "unknown top-level field", yaml: head + "function: []\n", want: "function"},
		{name: "wrong kind", yaml: "apiVersion: fnmesh.dev/v1alpha1\nkind: Other\n", want: "kind"},
		{name: "missing run", yaml: head + "functions:\n  - name: f\n", want: "run"},
		{name: "bad duration", yaml: head + "functions:\n  - name: f\n    run: { exec: [cat] }\n    timeout: 30\n", want: "timeout"},
		{name: "bad enum", yaml: head + "functions:\n  - name: f\n    run: { exec: [cat] }\n    delivery: { backoffPolicy: fibonacci }\n", want: "backoffPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate(yamlInstance(t, []byte(tt.yaml)))
			if err == nil {
				t.Fatal("schema accepted the file")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestSchemaHasDescriptions(t *testing.T) {
	for _, want := range []string{
		`"description": "BackoffPolicy is exponential (default) or linear."`,
		`"additionalProperties": false`,
		`"$id": "` + meshschema.ID + `"`,
	} {
		if !bytes.Contains(MeshSchema(), []byte(want)) {
			t.Errorf("mesh.schema.json lacks %s", want)
		}
	}
}
