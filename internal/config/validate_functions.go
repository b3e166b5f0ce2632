package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Bounds on function settings.
const (
	// MaxTimeout is the longest handler deadline a function may ask for.
	MaxTimeout = 24 * time.Hour
	// MaxConcurrency is the most events one replica may hold at once.
	MaxConcurrency = 10000
	// MaxRetry is the most retries a function may ask for.
	MaxRetry = 100
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
		for j := range fn.Filters {
			validateFilter(v, p.key("filters").index(j), &fn.Filters[j], 0)
		}
		validateRun(v, p.key("run"), &fn.Run)
		if fn.Concurrency < 1 || fn.Concurrency > MaxConcurrency {
			v.add(p.key("concurrency"), "must be between 1 and %d", MaxConcurrency)
		}
		if fn.Timeout <= 0 || fn.Timeout.D() > MaxTimeout {
			v.add(p.key("timeout"), "must be positive and at most 24h")
		}
		if fn.AckWait <= 0 || fn.AckWait.D() > MaxTimeout {
			v.add(p.key("ackWait"), "must be positive and at most 24h")
		}
		validateDelivery(v, p.key("delivery"), &fn.Delivery)
		validateScaling(v, p.key("scaling"), &fn.Scaling)
		validateKubernetes(v, p.key("kubernetes"), fn)
		for name := range sortedMap(fn.Env) {
			if !envNamePattern.MatchString(name) {
				v.add(p.key("env").key(name), "must be an environment variable name (letters, digits and '_', not starting with a digit)")
			}
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

func validateDelivery(v *problems, p fieldPath, d *Delivery) {
	if d.Retry != nil && (*d.Retry < 0 || *d.Retry > MaxRetry) {
		v.add(p.key("retry"), "must be between 0 and %d", MaxRetry)
	}
	if d.BackoffPolicy != "exponential" && d.BackoffPolicy != "linear" {
		v.add(p.key("backoffPolicy"), "%s", oneOfRule("exponential", "linear"))
	}
	if d.BackoffDelay <= 0 {
		v.add(p.key("backoffDelay"), "must be positive")
	}
	if d.BackoffMax < d.BackoffDelay {
		v.add(p.key("backoffMax"), "must not be shorter than backoffDelay (%s)", d.BackoffDelay)
	}
}

func validateScaling(v *problems, p fieldPath, s *Scaling) {
	lowest := 0
	if s.MinReplicaCount != nil {
		lowest = *s.MinReplicaCount
	}
	if lowest < 0 {
		v.add(p.key("minReplicaCount"), "must not be negative")
	}
	switch {
	case s.MaxReplicaCount < 1:
		v.add(p.key("maxReplicaCount"), "must be at least 1")
	case lowest > s.MaxReplicaCount:
		v.add(p.key("minReplicaCount"), "must not be greater than maxReplicaCount (%d)", s.MaxReplicaCount)
	}
	if s.LagThreshold < 1 {
		v.add(p.key("lagThreshold"), "must be at least 1")
	}
	if s.ActivationLagThreshold < 0 {
		v.add(p.key("activationLagThreshold"), "must not be negative")
	}
	if s.PollingInterval <= 0 {
		v.add(p.key("pollingInterval"), "must be positive")
	}
}
