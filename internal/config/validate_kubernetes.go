package config

import (
	"regexp"
	"slices"
	"strings"
)

// dnsSubdomain is what Kubernetes accepts as a Secret name.
var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// secretKey is what Kubernetes accepts as a key of a Secret.
var secretKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// resourceNames are the resources a function may request and limit.
var resourceNames = []string{"cpu", "memory", "ephemeral-storage"}

// validateKubernetes checks fn.Kubernetes. The quantities themselves are
// parsed by the renderer, which holds the Kubernetes API types.
func validateKubernetes(v *problems, p fieldPath, fn *Function) {
	k := fn.Kubernetes
	if k == nil {
		return
	}
	if k.Image != "" {
		if fn.Run.Image != "" {
			v.add(p.key("image"), "not allowed with run.image (the function's image already)")
		}
		if strings.TrimSpace(k.Image) != k.Image || strings.ContainsAny(k.Image, " \t\r\n") {
			v.add(p.key("image"), "must not contain white space")
		}
	}
	if r := k.Resources; r != nil {
		for kind, list := range sortedMap(map[string]map[string]string{"requests": r.Requests, "limits": r.Limits}) {
			for name := range sortedMap(list) {
				if !slices.Contains(resourceNames, name) {
					v.add(p.key("resources").key(kind).key(name), "%s", oneOfRule(resourceNames...))
				}
			}
		}
	}
	for name, ref := range sortedMap(k.SecretEnv) {
		q := p.key("secretEnv").key(name)
		if !envNamePattern.MatchString(name) {
			v.add(q, "must be an environment variable name (letters, digits and '_', not starting with a digit)")
		}
		if _, dup := fn.Env[name]; dup {
			v.add(q, "also set in env: a variable comes from one of them")
		}
		if len(ref.Name) > 253 || !dnsSubdomain.MatchString(ref.Name) {
			v.add(q.key("name"), "must be a Secret name (lower-case letters, digits, '-' and '.', at most 253)")
		}
		if len(ref.Key) > 253 || !secretKey.MatchString(ref.Key) {
			v.add(q.key("key"), "must be a Secret key (letters, digits, '-', '_' and '.', at most 253)")
		}
	}
}
