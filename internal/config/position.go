package config

import (
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// locator maps field paths to positions in a parsed mesh file and back.
type locator struct {
	file *ast.File
}

// position returns the line and column of the field at p. A scalar is
// located at its value; a mapping or a sequence at the key that holds it.
// When the field is not in the file (a missing required field, a default),
// the nearest ancestor that is in the file is used.
func (l locator) position(p fieldPath) (line, col int) {
	for n := len(p); n > 0; n-- {
		if line, col, ok := l.lookup(p[:n]); ok {
			return line, col
		}
	}
	return l.rootPosition()
}

// lookup finds the node at p through the YAML path API.
func (l locator) lookup(p fieldPath) (line, col int, ok bool) {
	last := p[len(p)-1]
	if last.isIdx {
		node, found := l.filter(p)
		if !found {
			return 0, 0, false
		}
		line, col = nodePosition(node)
		return line, col, true
	}
	parent, found := l.filter(p[:len(p)-1])
	if !found {
		return 0, 0, false
	}
	for _, mv := range mappingValues(parent) {
		if mv.Key == nil || mv.Key.GetToken() == nil || mv.Key.GetToken().Value != last.key {
			continue
		}
		switch unwrap(mv.Value).(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			return tokenPosition(mv.Key.GetToken())
		}
		if mv.Value == nil || mv.Value.GetToken() == nil {
			return tokenPosition(mv.Key.GetToken())
		}
		return tokenPosition(mv.Value.GetToken())
	}
	return 0, 0, false
}

// filter evaluates p as a goccy path ("$.functions[0].delivery").
func (l locator) filter(p fieldPath) (ast.Node, bool) {
	b := (&yaml.PathBuilder{}).Root()
	for _, s := range p {
		if s.isIdx {
			b = b.Index(uint(s.index))
		} else {
			b = b.Child(s.key)
		}
	}
	node, err := b.Build().FilterFile(l.file)
	if err != nil || node == nil {
		return nil, false
	}
	return node, true
}

// rootPosition is where the document starts: its first key, or 1:1.
func (l locator) rootPosition() (line, col int) {
	if l.file != nil && len(l.file.Docs) > 0 && l.file.Docs[0].Body != nil {
		if line, col := nodePosition(l.file.Docs[0].Body); line > 0 {
			return line, col
		}
	}
	return 1, 1
}

// nodePosition locates a node: a block mapping at its first key, anything
// else at its own token.
func nodePosition(node ast.Node) (line, col int) {
	node = unwrap(node)
	if vals := mappingValues(node); len(vals) > 0 && vals[0].Key != nil && vals[0].Key.GetToken() != nil {
		if m, ok := node.(*ast.MappingNode); !ok || !m.IsFlowStyle {
			line, col, _ := tokenPosition(vals[0].Key.GetToken())
			return line, col
		}
	}
	if node == nil || node.GetToken() == nil {
		return 0, 0
	}
	line, col, _ = tokenPosition(node.GetToken())
	return line, col
}

func tokenPosition(tk *token.Token) (line, col int, ok bool) {
	if tk == nil || tk.Position == nil {
		return 0, 0, false
	}
	return tk.Position.Line, tk.Position.Column, true
}

// unwrap skips anchors and tags to the node they decorate.
func unwrap(node ast.Node) ast.Node {
	for i := 0; i < 64; i++ {
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.TagNode:
			node = n.Value
		default:
			return node
		}
	}
	return node
}

// mappingValues returns the key/value pairs of a mapping node.
func mappingValues(node ast.Node) []*ast.MappingValueNode {
	switch n := unwrap(node).(type) {
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	}
	return nil
}

// pathAt returns the field path of the node that holds tk: the key itself
// when tk is a mapping key, else the value. It reports false when tk is not
// in the document (for example, it belongs to a merged alias).
func (l locator) pathAt(tk *token.Token) (fieldPath, bool) {
	if l.file == nil || tk == nil || tk.Position == nil {
		return nil, false
	}
	for _, doc := range l.file.Docs {
		if p, ok := findToken(doc.Body, tk.Position, fieldPath{}, 0); ok {
			return p, true
		}
	}
	return nil, false
}

// maxWalkDepth bounds the search through deeply nested documents.
const maxWalkDepth = 10000

func findToken(node ast.Node, pos *token.Position, p fieldPath, depth int) (fieldPath, bool) {
	if node == nil || depth > maxWalkDepth {
		return nil, false
	}
	if samePosition(node.GetToken(), pos) {
		return p, true
	}
	switch n := node.(type) {
	case *ast.AnchorNode:
		return findToken(n.Value, pos, p, depth+1)
	case *ast.TagNode:
		return findToken(n.Value, pos, p, depth+1)
	case *ast.MappingNode, *ast.MappingValueNode:
		for _, mv := range mappingValues(n) {
			if mv.Key == nil {
				continue
			}
			key := ""
			if kt := mv.Key.GetToken(); kt != nil {
				key = kt.Value
			}
			if samePosition(mv.Key.GetToken(), pos) {
				return p.key(key), true
			}
			if got, ok := findToken(mv.Value, pos, p.key(key), depth+1); ok {
				return got, true
			}
		}
	case *ast.SequenceNode:
		for i, v := range n.Values {
			if got, ok := findToken(v, pos, p.index(i), depth+1); ok {
				return got, true
			}
		}
	}
	return nil, false
}

func samePosition(tk *token.Token, pos *token.Position) bool {
	return tk != nil && tk.Position != nil &&
		tk.Position.Line == pos.Line && tk.Position.Column == pos.Column && tk.Position.Offset == pos.Offset
}
