package config

import (
	"fmt"
	"net/url"
	"strings"
)

func (m *Mesh) validateFunctions(v *problems) {
	names := map[string]string{}
	for i := range m.Functions {
		fn := &m.Functions[i]
		p := fieldPath{}.key("functions").index(i)
		checkName(v, p.key("name"), fn.Name, names, fmt.Sprintf("functions[%d].name", i))
		if fn.Stream != "" {
			if _, ok := m.Stream(fn.Stream); !ok {
				v.add(p.key("stream"), "names no declared stream: %q", fn.Stream)
			}
		}
		// Filters, consume settings (concurrency, timeout, ackWait, delivery)
		// and scaling are the components' settings: their rules are the
		// components' own, applied through Components (see ParseWith).
		validateRun(v, p.key("run"), &fn.Run)
		validateKubernetes(v, p.key("kubernetes"), fn)
		for name := range sortedMap(fn.Env) {
			if !envNamePattern.MatchString(name) {
				v.add(p.key("env").key(name), "must be an environment variable name (letters, digits and '_', not starting with a digit)")
			}
		}
		for name, ref := range sortedMap(fn.SecretEnv) {
			at := p.key("secretEnv").key(name)
			switch _, inEnv := fn.Env[name]; {
			case !envNamePattern.MatchString(name):
				v.add(at, "must be an environment variable name (letters, digits and '_', not starting with a digit)")
			case inEnv:
				v.add(at, "also set in env: a variable comes from one of them")
			}
			validateSecretRef(v, at, ref)
		}
	}
}

func validateRun(v *problems, p fieldPath, r *Run) {
	var set []string
	if len(r.Command) > 0 {
		set = append(set, "command")
	}
	if r.Image != "" {
		set = append(set, "image")
	}
	if r.HTTP != nil {
		set = append(set, "http")
	}
	if len(r.Exec) > 0 {
		set = append(set, "exec")
	}
	if len(set) != 1 {
		found := "none"
		if len(set) > 1 {
			found = strings.Join(set, ", ")
		}
		v.add(p, "exactly one of command, image, http or exec must be set (found %s)", found)
	}
	if len(r.Command) > 0 && strings.TrimSpace(r.Command[0]) == "" {
		v.add(p.key("command").index(0), "the program must not be empty")
	}
	if len(r.Exec) > 0 && strings.TrimSpace(r.Exec[0]) == "" {
		v.add(p.key("exec").index(0), "the program must not be empty")
	}
	if r.HTTP != nil {
		u, err := url.Parse(r.HTTP.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p.key("http").key("url"), "must be an absolute http or https URL")
		}
	}
	switch r.Runtime {
	case "process":
		if r.Image != "" {
			v.add(p.key("runtime"), "must be docker or kubernetes to run an image")
		}
	case "docker", "kubernetes":
		if r.Image == "" {
			v.add(p.key("image"), "required for runtime %s", r.Runtime)
		}
	default:
		v.add(p.key("runtime"), "%s", oneOfRule("process", "docker", "kubernetes"))
	}
}
