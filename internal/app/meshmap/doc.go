// Package meshmap turns a validated mesh file (package internal/config)
// into the configurations of the components that run it: the broker's
// streams and dead-letter queue here, the workers' and the triggers'
// settings in their own files. It is the one place where the mesh file's
// types meet the components' types; the components never import the mesh
// file.
//
// The functions expect a mesh after SetDefaults (config.Load and
// config.Parse apply it) and validated: they map, they do not check.
package meshmap
