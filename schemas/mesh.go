package schemas

import (
	_ "embed"
	"slices"
)

//go:embed mesh.schema.json
var meshSchema []byte

// MeshSchema returns the JSON Schema of the mesh file (a copy; callers may
// modify it).
func MeshSchema() []byte { return slices.Clone(meshSchema) }
