package config

import (
	"bytes"
	"fmt"
)

// Limits on how deeply a mesh file may nest. Real mesh files stay far below
// them; they exist because the YAML parser's cost grows with the square of
// the nesting depth.
const (
	maxIndent     = 1024 // columns of leading white space on one line
	maxInlineNest = 256  // "- - -" sequence entries opened on one line
	maxFlowNest   = 256  // open '[' and '{' at any point
)

// checkNesting rejects input that nests deeper than a mesh file can use,
// before it reaches the parser. It is a lexical estimate: brackets inside
// quoted strings and comments are skipped.
func checkNesting(filename string, data []byte) error {
	flow := 0
	for lineNo, line := range bytes.Split(data, []byte("\n")) {
		indent := 0
		for indent < len(line) && (line[indent] == ' ' || line[indent] == '\t') {
			indent++
		}
		if indent > maxIndent {
			return nestingError(filename, lineNo+1, indent+1, fmt.Sprintf("indented more than %d columns", maxIndent))
		}
		dashes, i := 0, indent
		for i+1 < len(line) && line[i] == '-' && (line[i+1] == ' ' || line[i+1] == '\t') {
			dashes++
			i += 2
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
		}
		if dashes > maxInlineNest {
			return nestingError(filename, lineNo+1, i+1, fmt.Sprintf("more than %d sequence entries opened on one line", maxInlineNest))
		}
		var quote byte
		for col := i; col < len(line); col++ {
			c := line[col]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '#' && (col == 0 || line[col-1] == ' ' || line[col-1] == '\t'):
				col = len(line)
			case c == '[' || c == '{':
				flow++
				if flow > maxFlowNest {
					return nestingError(filename, lineNo+1, col+1, fmt.Sprintf("more than %d nested '[' or '{'", maxFlowNest))
				}
			case (c == ']' || c == '}') && flow > 0:
				flow--
			}
		}
	}
	return nil
}

func nestingError(filename string, line, col int, what string) error {
	return &FieldError{File: filename, Line: line, Column: col, Rule: "document nests too deeply: " + what, cause: ErrSyntax}
}
