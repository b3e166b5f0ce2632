// Package meshmap maps a mesh file onto the configurations of the
// components it configures: the one place where the types of
// internal/config meet those of broker, workers and workers/scale.
//
// Components own their settings (workers.Config, scale.Params, ...): their
// defaults and rules are written in the component. Load and Parse apply
// them while the mesh file is read (config.LoadWith with Components), so a
// broken rule is reported at its line and column like any other problem of
// the file, and the component constructors can trust what they are given.
//
// One file per component: triggers.go maps the ingest section and the
// triggers (Triggers), and the subjects a reply waiter watches (Replies).
package meshmap
