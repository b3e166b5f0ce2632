package config

import (
	"cmp"
	"errors"
	"slices"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decodeAll decodes body into m and reports every decoding problem (unknown
// fields, wrong types) of the document, not only the first, sorted by
// position. The decoder stops at the first problem, so each one found is
// taken out of the tree (an unknown key removed, a value of the wrong type
// replaced by null, which decodes to the zero value) and the document is
// decoded again, at most maxReported times. Nothing is taken out of the
// caller's view: the tree is only used for positions afterwards, which
// neither change moves.
func decodeAll(filename string, loc locator, body ast.Node, m *Mesh) error {
	var errs []*FieldError
	seen := map[[2]int]bool{}
	for len(errs) < maxReported {
		*m = Mesh{}
		err := decode(body, m)
		if err == nil {
			break
		}
		fe := decodeError(filename, loc, err)
		at := [2]int{fe.Line, fe.Column}
		if seen[at] {
			break // the problem could not be taken out: report what is known
		}
		seen[at] = true
		errs = append(errs, fe)
		if fe.Line == 0 || !neutralize(loc, fe) {
			break
		}
	}
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	if len(joined) == 1 {
		return errs[0]
	}
	return errors.Join(joined...)
}

// neutralize takes the field of fe out of the tree so that decoding gets
// past it: an unknown key is removed from its mapping, any other value is
// replaced by null. It reports false when the field cannot be found.
func neutralize(loc locator, fe *FieldError) bool {
	p := fe.segs
	if len(p) == 0 {
		return false
	}
	parent, ok := loc.filter(p[:len(p)-1])
	if len(p) == 1 {
		parent, ok = loc.rootBody()
	}
	if !ok {
		return false
	}
	last := p[len(p)-1]
	if last.isIdx {
		seq, ok := unwrap(parent).(*ast.SequenceNode)
		if !ok || last.index >= len(seq.Values) {
			return false
		}
		seq.Values[last.index] = nullAt(seq.Values[last.index])
		return true
	}
	unknown := errors.Is(fe, ErrUnknownField)
	switch n := unwrap(parent).(type) {
	case *ast.MappingNode:
		for i, mv := range n.Values {
			if keyOf(mv) != last.key {
				continue
			}
			if unknown {
				n.Values = slices.Delete(n.Values, i, i+1)
			} else {
				mv.Value = nullAt(mv.Value)
			}
			return true
		}
	case *ast.MappingValueNode:
		if keyOf(n) == last.key {
			n.Value = nullAt(n.Value)
			if unknown {
				// A mapping of one unknown key: the key stays, decoded as
				// the zero value of nothing it names; drop its name too.
				n.Key = ast.String(token.New("", "", n.Key.GetToken().Position))
			}
			return true
		}
	}
	return false
}

func keyOf(mv *ast.MappingValueNode) string {
	if mv == nil || mv.Key == nil || mv.Key.GetToken() == nil {
		return ""
	}
	return mv.Key.GetToken().Value
}

// nullAt is a null node at the position of n.
func nullAt(n ast.Node) ast.Node {
	pos := &token.Position{Line: 1, Column: 1}
	if n != nil && n.GetToken() != nil && n.GetToken().Position != nil {
		pos = n.GetToken().Position
	}
	return ast.Null(token.New("null", "null", pos))
}

// rootBody is the document's body.
func (l locator) rootBody() (ast.Node, bool) {
	for _, doc := range l.file.Docs {
		if doc != nil && doc.Body != nil {
			return doc.Body, true
		}
	}
	return nil, false
}
