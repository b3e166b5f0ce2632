// Command gen writes the JSON Schema of the mesh file. It is run by
// "go generate ./schemas" from the schemas directory.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fnmesh/fnmesh/schemas/internal/meshschema"
)

func main() {
	out := flag.String("o", "mesh.schema.json", "file to write")
	flag.Parse()
	b, err := meshschema.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
