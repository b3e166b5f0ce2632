package config

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// scalarTags are the YAML core schema tags a mesh file may use, and only on
// scalars ("!!str 8080"). Other tags have no meaning in a mesh file.
func scalarTag(tag string) bool {
	switch tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!null":
		return true
	}
	return false
}

// tagChecker finds the first tag a mesh file may not use.
type tagChecker struct {
	bad *ast.TagNode
}

// Visit implements ast.Visitor.
func (c *tagChecker) Visit(node ast.Node) ast.Visitor {
	if c.bad != nil {
		return nil
	}
	if tag, ok := node.(*ast.TagNode); ok {
		switch tag.Value.(type) {
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.LiteralNode:
			if scalarTag(tag.Start.Value) {
				return c
			}
		}
		c.bad = tag
		return nil
	}
	return c
}

// checkTags rejects YAML tags other than core scalar tags on scalars.
func checkTags(filename string, loc locator, body ast.Node) error {
	c := &tagChecker{}
	ast.Walk(c, body)
	if c.bad == nil {
		return nil
	}
	tk := c.bad.GetToken()
	fe := &FieldError{File: filename, Rule: fmt.Sprintf("YAML tag %q is not supported here (only !!str, !!int, !!float, !!bool and !!null on plain values)", tk.Value)}
	fe.Line, fe.Column, _ = tokenPosition(tk)
	if p, ok := loc.pathAt(tk); ok {
		fe.segs, fe.Path = p, p.String()
	}
	return fe
}
