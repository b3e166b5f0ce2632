// Package endpoint holds the rules for where an HTTP trigger is served: the
// path it is mounted at, the methods a route accepts, and the token rule of
// HTTP method and header names. The mesh file's
// validation and the trigger mux apply the same rules, so a path that
// validates is a path that mounts.
//
// The package depends on the standard library only, so that the mesh
// file's validation can use it without depending on the triggers.
package endpoint

import (
	"errors"
	"path"
	"slices"
	"strings"
)

// Methods returns the methods an HTTP route may accept, in order.
func Methods() []string { return []string{"DELETE", "GET", "PATCH", "POST", "PUT"} }

// CheckMethod reports a method that is not one of Methods (exactly, in
// upper case).
func CheckMethod(m string) error {
	if !slices.Contains(Methods(), m) {
		return errors.New("must be one of " + strings.Join(Methods(), ", "))
	}
	return nil
}

// CheckPath reports why p cannot be the path of an endpoint: it must be a
// clean absolute path other than "/", without white space or any of the
// characters that URLs or http.ServeMux patterns give a meaning to
// (?#{}%). A path ending in "/" is the path itself, not its subtree.
func CheckPath(p string) error {
	switch {
	case p == "":
		return errors.New("required")
	case !strings.HasPrefix(p, "/"):
		return errors.New("must start with '/'")
	case strings.ContainsAny(p, " \t\r\n?#{}%"):
		return errors.New("must not contain white space or any of ?#{}%")
	case p == "/":
		return errors.New("must not be the root path")
	case path.Clean(p) != strings.TrimSuffix(p, "/"):
		return errors.New("must be a clean path (no '//', '.' or '..' segments)")
	}
	return nil
}

// IsToken reports whether s is a non-empty HTTP token (RFC 9110, section
// 5.6.2), as method and header names are.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
