package config

// Components contributes what the components a mesh configures own about
// their settings: a function's filters, consume settings (concurrency,
// timeout, ackWait, delivery) and scaling. The rules and defaults are
// written once, in the component; ParseWith and LoadWith apply them while
// the mesh is loaded, so every problem is reported with its file position
// alongside the mesh's own. internal/app/meshmap implements it.
type Components interface {
	// SetDefaults fills the component settings of m left empty; it runs
	// after Mesh.SetDefaults.
	SetDefaults(m *Mesh)
	// Check returns the component settings of m that break a rule.
	Check(m *Mesh) []Violation
}

// Violation is one field that breaks a rule a component owns.
type Violation struct {
	// Path names the field.
	Path Path
	// Rule says what is wrong, e.g. "must be between 0 and 100".
	Rule string
}

// Path names a field of the mesh file from its root; the zero Path is the
// root.
type Path struct{ segs fieldPath }

// Key returns the path of field or map key k below p.
func (p Path) Key(k string) Path { return Path{p.segs.key(k)} }

// Index returns the path of list element i below p.
func (p Path) Index(i int) Path { return Path{p.segs.index(i)} }

// String renders the path as "functions[0].delivery.retry".
func (p Path) String() string { return p.segs.String() }

// check adds the violations c finds in m to v, dropping those that repeat a
// problem already found (a component may require what the mesh requires
// too, such as a name).
func (v *problems) check(c Components, m *Mesh) {
	if c == nil {
		return
	}
	seen := make(map[[2]string]bool, len(v.errs))
	for _, e := range v.errs {
		seen[[2]string{e.Path, e.Rule}] = true
	}
	for _, x := range c.Check(m) {
		if k := [2]string{x.Path.String(), x.Rule}; !seen[k] {
			seen[k] = true
			v.add(x.Path.segs, "%s", x.Rule)
		}
	}
}
