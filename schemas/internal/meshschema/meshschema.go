package meshschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/fnmesh/fnmesh/internal/config"
)

// Module is the Go module path of fnmesh.
const Module = "github.com/fnmesh/fnmesh"

// ID is the $id of the generated schema.
const ID = "https://fnmesh.dev/schemas/mesh.schema.json"

// configDir is where the mesh file types live, relative to the module root.
const configDir = "internal/config"

// Generate returns the schema as indented JSON ending in a newline. It reads
// the doc comments from the source of internal/config, found by walking up
// from the working directory to the module's go.mod.
func Generate() ([]byte, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("mesh schema: %w", err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return nil, err
	}
	// AddGoComments names packages by joining base with the walked path, so
	// base is the import path of the working directory and path is relative
	// to it.
	relWD, err := filepath.Rel(root, wd)
	if err != nil {
		return nil, fmt.Errorf("mesh schema: %w", err)
	}
	relConfig, err := filepath.Rel(wd, filepath.Join(root, configDir))
	if err != nil {
		return nil, fmt.Errorf("mesh schema: %w", err)
	}
	r := &jsonschema.Reflector{
		ExpandedStruct: true,
		FieldNameTag:   "yaml",
		Mapper:         durationRef,
	}
	base := Module
	if relWD != "." {
		base += "/" + filepath.ToSlash(relWD)
	}
	if err := r.AddGoComments(base, filepath.ToSlash(relConfig)); err != nil {
		return nil, fmt.Errorf("mesh schema: reading doc comments: %w", err)
	}
	s := r.Reflect(&config.Mesh{})
	s.Definitions["Duration"] = durationSchema()
	s.ID = ID
	s.Title = "fnmesh mesh file"
	if s.Description == "" {
		return nil, errors.New("mesh schema: no description found for config.Mesh; are the doc comments readable?")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("mesh schema: %w", err)
	}
	// The schema types marshal themselves with encoding/json's HTML escaping;
	// undo it so that descriptions read as written ("<name>", not "\u003cname\u003e").
	out := buf.Bytes()
	for esc, ch := range map[string]string{`\u003c`: "<", `\u003e`: ">", `\u0026`: "&"} {
		out = bytes.ReplaceAll(out, []byte(esc), []byte(ch))
	}
	return out, nil
}

// moduleRoot finds the directory holding fnmesh's go.mod at or above dir.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module "+Module) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("mesh schema: no go.mod of %s at or above %s", Module, dir)
		}
		d = parent
	}
}

// durationType is the mesh file's duration. Its schema is written here
// rather than by a JSONSchema method on the type, so that the programs
// that read a mesh file (every worker) do not link the schema reflector.
var durationType = reflect.TypeFor[config.Duration]()

// durationRef refers every duration field to the Duration definition.
func durationRef(t reflect.Type) *jsonschema.Schema {
	if t != durationType {
		return nil
	}
	return &jsonschema.Schema{Ref: "#/$defs/Duration"}
}

// durationSchema describes a duration: a Go duration string or the number 0.
func durationSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		OneOf: []*jsonschema.Schema{
			{
				Type:        "string",
				Pattern:     config.DurationPattern,
				Description: `Go duration, e.g. "30s", "5m", "1h30m".`,
			},
			{Type: "integer", Enum: []any{0}},
		},
	}
}
