package broker

import (
	"errors"
	"strings"
	"unicode"
)

// CheckSubject reports why s is not a valid NATS subject to declare (a
// stream's subjects, a subject prefix), or nil. Wildcards ('*' and '>',
// each a whole token, '>' last) are allowed when wildcards is true.
func CheckSubject(s string, wildcards bool) error {
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

// SubjectContains reports whether every subject matched by sub is matched
// by pattern.
func SubjectContains(pattern, sub string) bool {
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

// SubjectsOverlap reports whether some subject is matched by both a and b.
// JetStream refuses two streams whose subjects overlap.
func SubjectsOverlap(a, b string) bool {
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
