package triggers

import (
	"errors"
	"net/url"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// fromBinding turns an error of the CloudEvents binding (internal/cebind)
// into the errors ingest answers with: an *AttrError naming the attribute
// and rule, inside a *BatchError for an event of a batch. Other errors are
// returned as they are.
func fromBinding(err error) error {
	var be *cebind.BatchError
	if errors.As(err, &be) {
		return &BatchError{Index: be.Index, Err: fromBinding(be.Err)}
	}
	var ae *cebind.AttributeError
	if errors.As(err, &ae) {
		return attrErr(ae.Attribute, ae.Err.Error())
	}
	return err
}

// checkName applies the binding's name rule, strictly.
func checkName(name string) error { return fromBinding(cebind.CheckName(name, cebind.Strict)) }

// checkString applies the binding's String rules.
func checkString(attr, s string) error { return fromBinding(cebind.CheckString(attr, s)) }

// parseURIRef parses an RFC 3986 URI-reference (cebind.ParseURIRef).
func parseURIRef(s string) (*url.URL, bool) { return cebind.ParseURIRef(s) }

// isCoreAttribute reports whether name is a CloudEvents 1.0 context
// attribute (cebind.IsCoreAttribute).
func isCoreAttribute(name string) bool { return cebind.IsCoreAttribute(name) }

// isJSONMediaType reports whether ct declares JSON content
// (cebind.IsJSONMediaType).
func isJSONMediaType(ct string) bool { return cebind.IsJSONMediaType(ct) }
