// Package meshschema generates the JSON Schema of the mesh file from the Go
// types in internal/config, with their doc comments as descriptions. It is
// used by "go generate ./schemas" and by the test that keeps the committed
// schema current.
package meshschema
