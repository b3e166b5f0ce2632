// Package config reads the mesh file: the YAML document that declares an
// fnmesh's streams, triggers and functions.
//
// Load and Parse decode strictly (unknown fields, wrong types and duplicate
// keys are errors), apply the documented defaults (Mesh.SetDefaults) and
// check every rule (Mesh.Validate). Each problem is a *FieldError that reads
//
//	mesh.yaml:12:7: functions[0].delivery.backoffPolicy: must be one of exponential, linear
//
// and wraps ErrInvalid; several rule violations come back joined
// (errors.Join). The JSON Schema in the schemas directory is generated from
// the types and their doc comments here, so a field's comment is also its
// description in editors.
//
// Settings of one process (FNMESH_* environment variables) are separate from
// the mesh file, which describes the whole mesh.
package config
