package config

import (
	"errors"
	"strings"
	"unicode"
)

// checkSubject reports why s is not a valid NATS subject (wildcards allowed
// when wildcards is true), or nil.
func checkSubject(s string, wildcards bool) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return errors.New("must not contain white space")
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return errors.New("must not have empty tokens (leading, trailing or double '.')")
		case t == "*" || t == ">":
			if !wildcards {
				return errors.New("must not contain wildcards '*' or '>'")
			}
			if t == ">" && i != len(toks)-1 {
				return errors.New("'>' must be the last token")
			}
		case strings.ContainsAny(t, "*>"):
			return errors.New("wildcards '*' and '>' must be whole tokens")
		}
	}
	return nil
}

// subjectContains reports whether every subject matched by sub is matched
// by pattern.
func subjectContains(pattern, sub string) bool {
	pt, st := strings.Split(pattern, "."), strings.Split(sub, ".")
	for i, p := range pt {
		if p == ">" {
			return i < len(st)
		}
		if i >= len(st) || st[i] == ">" {
			return false
		}
		if p == "*" {
			continue
		}
		if st[i] == "*" || p != st[i] {
			return false
		}
	}
	return len(pt) == len(st)
}

// subjectsOverlap reports whether some subject is matched by both a and b.
func subjectsOverlap(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(at) && i < len(bt); i++ {
		switch {
		case at[i] == ">" || bt[i] == ">":
			return true
		case at[i] == "*" || bt[i] == "*" || at[i] == bt[i]:
			continue
		default:
			return false
		}
	}
	return len(at) == len(bt)
}
