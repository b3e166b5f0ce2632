package config

import (
	"strings"
)

// maxFilterDepth bounds how deeply all/any/not filters may nest.
const maxFilterDepth = 16

func validateFilter(v *problems, p fieldPath, f *Filter, depth int) {
	if depth > maxFilterDepth {
		v.add(p, "filters must not nest deeper than %d levels", maxFilterDepth)
		return
	}
	var set []string
	for _, d := range []struct {
		name string
		on   bool
	}{
		{"exact", f.Exact != nil},
		{"prefix", f.Prefix != nil},
		{"suffix", f.Suffix != nil},
		{"all", f.All != nil},
		{"any", f.Any != nil},
		{"not", f.Not != nil},
		{"cesql", f.CESQL != ""},
	} {
		if d.on {
			set = append(set, d.name)
		}
	}
	if len(set) != 1 {
		found := "none"
		if len(set) > 1 {
			found = strings.Join(set, ", ")
		}
		v.add(p, "exactly one of exact, prefix, suffix, all, any, not or cesql must be set (found %s)", found)
	}
	validateAttributes(v, p.key("exact"), f.Exact)
	validateAttributes(v, p.key("prefix"), f.Prefix)
	validateAttributes(v, p.key("suffix"), f.Suffix)
	if f.All != nil && len(f.All) == 0 {
		v.add(p.key("all"), "must list at least one filter")
	}
	for i := range f.All {
		validateFilter(v, p.key("all").index(i), &f.All[i], depth+1)
	}
	if f.Any != nil && len(f.Any) == 0 {
		v.add(p.key("any"), "must list at least one filter")
	}
	for i := range f.Any {
		validateFilter(v, p.key("any").index(i), &f.Any[i], depth+1)
	}
	if f.Not != nil {
		validateFilter(v, p.key("not"), f.Not, depth+1)
	}
	if f.CESQL != "" {
		if err := checkCESQL(f.CESQL); err != nil {
			v.add(p.key("cesql"), "not a valid CloudEvents SQL expression: %v", err)
		}
	}
}

// validateAttributes checks an exact, prefix or suffix filter.
func validateAttributes(v *problems, p fieldPath, attrs map[string]string) {
	if attrs == nil {
		return
	}
	if len(attrs) == 0 {
		v.add(p, "must name at least one attribute")
	}
	for name := range sortedMap(attrs) {
		if !attributePattern.MatchString(name) {
			v.add(p.key(name), "must be a CloudEvents attribute name (1-20 lower-case letters or digits)")
		}
	}
}
