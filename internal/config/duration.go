package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// DurationPattern matches what time.ParseDuration accepts, without a sign
// (negative durations are invalid in a mesh file) and with a bare "0".
const DurationPattern = `^\+?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// errDurationSyntax is the rule reported for a value that is not a duration.
var errDurationSyntax = errors.New(`must be a Go duration such as "30s", "5m" or "1h30m"`)

// errDurationNegative is the rule reported for a negative duration.
var errDurationNegative = errors.New("must not be negative")

// ParseDuration parses a non-negative Go duration ("30s", "1h30m", "0").
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errDurationSyntax
	}
	if d < 0 {
		return 0, errDurationNegative
	}
	return Duration(d), nil
}

// String formats the duration like time.Duration.String ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML decodes a duration string; a bare 0 is accepted too. It
// implements the node form of goccy/go-yaml's unmarshaler so that a bad
// value is reported at its line and column.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	switch n := node.(type) {
	case *ast.NullNode:
		*d = 0
		return nil
	case *ast.StringNode:
		v, err := ParseDuration(n.Value)
		if err != nil {
			return &nodeError{tok: n.GetToken(), rule: err.Error()}
		}
		*d = v
		return nil
	case *ast.IntegerNode:
		if n.GetToken().Value == "0" {
			*d = 0
			return nil
		}
	}
	return &nodeError{tok: node.GetToken(), rule: errDurationSyntax.Error()}
}

// MarshalYAML encodes the duration as a string such as "1m30s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalJSON decodes a duration string; a bare 0 is accepted too.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "0" || string(b) == "null" {
		*d = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", errDurationSyntax)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = v
	return nil
}

// MarshalJSON encodes the duration as a JSON string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }
