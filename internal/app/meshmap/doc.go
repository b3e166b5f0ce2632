// Package meshmap maps a validated mesh file (internal/config) onto the
// configurations of the components that run it. It is the one place that
// knows both the mesh file's types and the components' own settings:
// components take their own small Config structs and never see the mesh
// file, and the mesh file's defaults and secret references end here, as
// plain values (a SecretRef becomes the secret's bytes).
//
// One file per component: triggers.go maps the ingest section and the
// triggers (Triggers), and the subjects a reply waiter watches (Replies).
package meshmap
