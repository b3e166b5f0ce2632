package config

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileSize is the largest mesh file Load reads.
const MaxFileSize = 8 << 20

// maxReported is how many rule violations Parse reports with positions.
const maxReported = 50

// Load reads, decodes, defaults and validates the mesh file at path with
// the mesh file format's own rules and defaults; LoadWith adds the
// components'. Relative paths in the mesh (run.dir, eventSchemas, secret
// files) are relative to the directory of path. Errors about the content
// wrap ErrInvalid and read "path:line:column: field: rule"; several rule
// violations are joined.
func Load(path string) (*Mesh, error) { return LoadWith(path, nil) }

// LoadWith is Load with the defaults and rules of c applied too (nil: none).
func LoadWith(path string, c Components) (*Mesh, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mesh file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("mesh file %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, &FieldError{File: path, Rule: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}
	}
	return ParseWith(path, data, c)
}

// Parse decodes a mesh file held in memory; filename is used in error
// messages and as the base of relative paths. Decoding is strict: unknown
// fields, wrong types and duplicate keys are errors. Defaults are then
// applied (SetDefaults) and the result is validated (Validate); every error
// wraps ErrInvalid and carries the file, line and column of the field.
// Components' settings are neither defaulted nor checked: see ParseWith.
func Parse(filename string, data []byte) (*Mesh, error) { return ParseWith(filename, data, nil) }

// ParseWith is Parse with the defaults and rules of c applied too (nil:
// none): c.SetDefaults runs after SetDefaults, and the violations c.Check
// finds are reported with the mesh's own, in file order.
func ParseWith(filename string, data []byte, c Components) (*Mesh, error) {
	if err := checkNesting(filename, data); err != nil {
		return nil, err
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, syntaxError(filename, err)
	}
	loc := locator{file: file}
	m := &Mesh{}
	var body ast.Node
	for i, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			line, col := nodePosition(doc.Body)
			return nil, &FieldError{File: filename, Line: line, Column: col,
				Rule: fmt.Sprintf("a mesh file holds one YAML document, found another (document %d)", i+1)}
		}
		body = doc.Body
	}
	if body != nil {
		if err := checkTags(filename, loc, body); err != nil {
			return nil, err
		}
		if err := decodeAll(filename, loc, body, m); err != nil {
			return nil, err
		}
	}
	m.File = filename
	m.SetDefaults()
	if c != nil {
		c.SetDefaults(m)
	}
	m.resolveSecretFiles()
	v := m.validate()
	v.check(c, m)
	if len(v.errs) == 0 {
		return m, nil
	}
	more := len(v.errs) - maxReported
	if more > 0 {
		v.errs = v.errs[:maxReported]
	}
	for _, e := range v.errs {
		e.File = filename
		e.Line, e.Column = loc.position(e.segs)
	}
	// Report in file order; problems found at the same place keep the order
	// in which the rules were checked.
	slices.SortStableFunc(v.errs, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if more > 0 {
		v.errs = append(v.errs, &FieldError{File: filename, Rule: fmt.Sprintf("%d more problems not shown", more)})
	}
	return nil, v.join()
}

// resolveSecretFiles makes relative secret file paths relative to the mesh
// file's directory.
func (m *Mesh) resolveSecretFiles() {
	fix := func(ref *SecretRef) {
		if ref != nil && ref.File != "" && !filepath.IsAbs(ref.File) {
			ref.File = m.Resolve(ref.File)
		}
	}
	fix(m.Ingest.TokenRef)
	for i := range m.Triggers {
		t := &m.Triggers[i]
		if t.HTTP != nil {
			fix(t.HTTP.TokenRef)
		}
		if t.Webhook != nil {
			fix(t.Webhook.SecretRef)
			for j := range t.Webhook.SecretRefs {
				fix(&t.Webhook.SecretRefs[j])
			}
		}
	}
	for i := range m.Functions {
		for name, ref := range m.Functions[i].SecretEnv {
			fix(&ref)
			m.Functions[i].SecretEnv[name] = ref
		}
	}
}

// decode fills m from the document body, strictly. The YAML decoder has
// panicked on malformed trees before; such a panic is returned as an error
// so that bad input never takes the process down.
func decode(body ast.Node, m *Mesh) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the document cannot be decoded: %v", r)
		}
	}()
	return yaml.NodeToValue(body, m, yaml.DisallowUnknownField())
}
