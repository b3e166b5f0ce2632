// Package schemas holds the JSON Schema of the mesh file and validates event
// data against per-type JSON Schemas.
//
// # The mesh file schema
//
// mesh.schema.json is generated from the Go types of the mesh file
// (internal/config) and their doc comments; it is never edited by hand.
// After changing those types, regenerate it:
//
//	go generate ./schemas
//
// A test fails while the committed file is stale. Editors that speak the
// YAML language server protocol pick the schema up from a first line such as
//
//	# yaml-language-server: $schema=../../schemas/mesh.schema.json
//
// (a path relative to the mesh file), which gives completion, descriptions
// and errors for unknown fields while typing. MeshSchema returns the same
// document for tools that want it at run time.
//
// # Event data schemas
//
// The eventSchemas section of a mesh file maps CloudEvents types to JSON
// Schema files. A Registry compiles them once and validates the data of each
// event of those types; events of other types pass unchecked.
package schemas
