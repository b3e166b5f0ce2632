package config

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// syntaxError converts a YAML parser error.
func syntaxError(filename string, err error) error {
	fe := &FieldError{File: filename, Rule: err.Error(), cause: errors.Join(ErrSyntax, err)}
	var ye yaml.Error
	if errors.As(err, &ye) {
		fe.Rule = ye.GetMessage()
		fe.Line, fe.Column, _ = tokenPosition(ye.GetToken())
	}
	return fe
}

// decodeError converts an error from decoding the AST into a Mesh, naming
// the field it is about.
func decodeError(filename string, loc locator, err error) *FieldError {
	fe := &FieldError{File: filename, Rule: err.Error(), cause: err}
	var tk *token.Token
	var (
		ne  *nodeError
		ufe *yaml.UnknownFieldError
		te  *yaml.TypeError
		nte *yaml.UnexpectedNodeTypeError
		oe  *yaml.OverflowError
		ye  yaml.Error
	)
	switch {
	case errors.As(err, &ne):
		tk, fe.Rule = ne.tok, ne.rule
	case errors.As(err, &ufe):
		tk, fe.Rule = ufe.Token, "unknown field"
		fe.cause = errors.Join(ErrUnknownField, err)
	case errors.As(err, &te):
		tk, fe.Rule = te.Token, "must be "+kindName(te.DstType)
		if te.SrcType != nil {
			fe.Rule += ", not " + kindName(te.SrcType)
		}
	case errors.As(err, &nte):
		tk = nte.Token
		fe.Rule = "must be " + nodeTypeName(nte.Expected) + ", not " + nodeTypeName(nte.Actual)
	case errors.As(err, &oe):
		tk, fe.Rule = oe.Token, fmt.Sprintf("%s is out of range for %s", oe.SrcNum, kindName(oe.DstType))
	case errors.As(err, &ye):
		tk, fe.Rule = ye.GetToken(), ye.GetMessage()
	case errors.Is(err, yaml.ErrExceededMaxDepth):
		fe.Rule = "document is nested too deeply"
	}
	if line, col, ok := tokenPosition(tk); ok {
		fe.Line, fe.Column = line, col
		if p, ok := loc.pathAt(tk); ok {
			fe.segs = p
			fe.Path = p.String()
		}
	}
	return fe
}

// kindName describes a Go type the way a mesh file author thinks of it.
func kindName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	if t == reflect.TypeOf(Duration(0)) {
		return "a duration"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "a " + t.Kind().String()
}

// nodeTypeName describes a YAML node type.
func nodeTypeName(t ast.NodeType) string {
	switch t {
	case ast.MappingType, ast.MappingValueType, ast.MappingKeyType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		return "a string"
	case ast.IntegerType:
		return "an integer"
	case ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	case ast.BoolType:
		return "true or false"
	case ast.NullType:
		return "null"
	}
	return "a " + t.String()
}
