package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrDataInvalid is wrapped by Registry.Validate errors for event data that
// does not match the schema of its type (or is not JSON at all).
var ErrDataInvalid = errors.New("event data does not match its schema")

// Problem is one reason data fails its schema.
type Problem struct {
	// Path is the JSON Pointer of the failing value, e.g. "/items/0/qty";
	// "/" for the whole document.
	Path string `json:"path"`
	// Message says what is wrong, e.g. "minimum: got 0, want 1".
	Message string `json:"message"`
}

// DataError reports event data that fails the schema of its type. It wraps
// ErrDataInvalid; its text reads
// "com.example.order.created: /items/0/qty: minimum: got 0, want 1".
type DataError struct {
	// Type is the CloudEvents type whose schema failed.
	Type string
	// Problems lists every failing value, sorted by Path.
	Problems []Problem
}

// Error lists the problems, "; "-separated.
func (e *DataError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Path + ": " + p.Message
	}
	return e.Type + ": " + strings.Join(parts, "; ")
}

// Unwrap returns ErrDataInvalid.
func (e *DataError) Unwrap() error { return ErrDataInvalid }

// Registry validates event data against the JSON Schema registered for the
// event's type. It is safe for concurrent use once built.
type Registry struct {
	schemas map[string]*jsonschema.Schema
	printer *message.Printer
}

// NewRegistry compiles one JSON Schema file per event type (type -> file
// path). Schemas may $ref each other by relative path. An error names the
// type and file that failed.
func NewRegistry(m map[string]string) (*Registry, error) {
	r := &Registry{
		schemas: make(map[string]*jsonschema.Schema, len(m)),
		printer: message.NewPrinter(language.English),
	}
	c := jsonschema.NewCompiler()
	for _, typ := range slices.Sorted(maps.Keys(m)) {
		path := m[typ]
		if typ == "" || path == "" {
			return nil, fmt.Errorf("event schema %q -> %q: type and path are both required", typ, path)
		}
		s, err := c.Compile(path)
		if err != nil {
			return nil, fmt.Errorf("event schema for %s (%s): %w", typ, path, err)
		}
		r.schemas[typ] = s
	}
	return r, nil
}

// Has reports whether eventType has a schema.
func (r *Registry) Has(eventType string) bool {
	_, ok := r.schemas[eventType]
	return ok
}

// Validate checks data (JSON) against the schema of eventType. It returns
// nil when the type has no schema; else nil or a *DataError wrapping
// ErrDataInvalid. Empty data is validated as JSON null.
func (r *Registry) Validate(eventType string, data []byte) error {
	s, ok := r.schemas[eventType]
	if !ok {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("null")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return &DataError{Type: eventType, Problems: []Problem{{Path: "/", Message: "not valid JSON: " + err.Error()}}}
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w: %w", eventType, ErrDataInvalid, err)
	}
	de := &DataError{Type: eventType}
	r.collect(ve, &de.Problems)
	slices.SortStableFunc(de.Problems, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return de
}

// collect appends the leaves of a validation error tree: the errors that
// say what is wrong rather than which schema keyword wrapped them.
func (r *Registry) collect(ve *jsonschema.ValidationError, out *[]Problem) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			r.collect(c, out)
		}
		return
	}
	*out = append(*out, Problem{Path: pointer(ve.InstanceLocation), Message: ve.ErrorKind.LocalizedString(r.printer)})
}

// pointer renders an instance location as a JSON Pointer.
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
