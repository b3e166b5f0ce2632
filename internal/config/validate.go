package config

import (
	"iter"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers/endpoint"
)

// namePattern is what trigger, function and stream names must match: safe
// as a JetStream consumer or stream name, a URL path segment and a file name.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$`)

// attributePattern is what CloudEvents attribute names must match.
var attributePattern = regexp.MustCompile(`^[a-z0-9]{1,20}$`)

// envNamePattern is what environment variable names must match.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedPathsRule names the paths every fnmesh process serves itself.
const reservedPathsRule = "must not be /livez, /readyz or /metrics (served by fnmesh itself)"

// isReservedPath reports whether p is served by every fnmesh process.
func isReservedPath(p string) bool {
	switch p {
	case "/livez", "/readyz", "/metrics":
		return true
	}
	return false
}

const nameRule = "must start with a letter or digit and hold at most 63 letters, digits, '-' or '_'"

// Validate checks the mesh against every rule of the file format and returns
// all violations joined (errors.Join), each a *FieldError wrapping
// ErrInvalid. It expects SetDefaults to have run. Errors from Validate carry
// no position; Parse and Load add the file, line and column.
func (m *Mesh) Validate() error {
	return m.validate().join()
}

func (m *Mesh) validate() *problems {
	v := &problems{}
	root := fieldPath{}
	if m.APIVersion != APIVersion {
		v.add(root.key("apiVersion"), "must be %q", APIVersion)
	}
	if m.Kind != Kind {
		v.add(root.key("kind"), "must be %q", Kind)
	}
	if err := broker.CheckSubject(m.SubjectPrefix, false); err != nil {
		v.add(root.key("subjectPrefix"), "%v", err)
	}
	m.validateStreams(v)
	m.validateDeadLetter(v)
	m.validateHistory(v)
	m.validateIngest(v)
	m.validateTriggers(v)
	m.validateFunctions(v)
	m.validateEventSchemas(v)
	return v
}

func (m *Mesh) validateIngest(v *problems) {
	p := fieldPath{}.key("ingest")
	if err := endpoint.CheckPath(m.Ingest.Path); err != nil {
		v.add(p.key("path"), "%v", err)
	} else if isReservedPath(m.Ingest.Path) {
		v.add(p.key("path"), reservedPathsRule)
	}
	if m.Ingest.MaxBodyBytes < 64<<10 {
		v.add(p.key("maxBodyBytes"), "must be at least 65536 (64 KiB)")
	}
	if m.Ingest.MaxInFlight < 1 {
		v.add(p.key("maxInFlight"), "must be at least 1")
	}
	if m.Ingest.TokenRef != nil {
		validateSecretRef(v, p.key("tokenRef"), *m.Ingest.TokenRef)
	}
}

func (m *Mesh) validateEventSchemas(v *problems) {
	seen := map[string]int{}
	for i, es := range m.EventSchemas {
		p := fieldPath{}.key("eventSchemas").index(i)
		if strings.TrimSpace(es.Type) == "" {
			v.add(p.key("type"), "required")
		} else if first, dup := seen[es.Type]; dup {
			v.add(p.key("type"), "duplicate type %q (first at eventSchemas[%d])", es.Type, first)
		} else {
			seen[es.Type] = i
		}
		if strings.TrimSpace(es.Schema) == "" {
			v.add(p.key("schema"), "required: path to a JSON Schema file")
		}
	}
}

// validateSecretRef checks that exactly one source is set.
func validateSecretRef(v *problems, p fieldPath, ref SecretRef) {
	n := 0
	for _, s := range []string{ref.Env, ref.File, ref.Value} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		v.add(p, "exactly one of env, file or value must be set (found %d)", n)
		return
	}
	if ref.Env != "" && !envNamePattern.MatchString(ref.Env) {
		v.add(p.key("env"), "must be an environment variable name (letters, digits and '_', not starting with a digit)")
	}
}

// checkName reports a name that is empty, malformed or already used.
func checkName(v *problems, p fieldPath, name string, seen map[string]string, where string) {
	switch {
	case name == "":
		v.add(p, "required")
	case !namePattern.MatchString(name):
		v.add(p, "%s", nameRule)
	default:
		if first, dup := seen[name]; dup {
			v.add(p, "duplicate name %q (first used at %s)", name, first)
			return
		}
		seen[name] = where
	}
}

// oneOfRule is the rule text for an enum.
func oneOfRule(allowed ...string) string {
	return "must be one of " + strings.Join(allowed, ", ")
}

// sortedMap iterates m in key order, so that errors come out in a stable order.
func sortedMap[V any](m map[string]V) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
