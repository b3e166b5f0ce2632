package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Labels and names shared by the Kubernetes runtime and the manifests of
// deploy/k8s, so that the runtime finds what was rendered.
const (
	// LabelName is the well-known name label; every worker pod carries
	// LabelName=WorkerName.
	LabelName = "app.kubernetes.io/name"
	// WorkerName is the value of LabelName on worker pods.
	WorkerName = "fnmesh-worker"
	// LabelFunction carries FunctionLabel(fn) on the Deployment, its
	// pods, Service and ScaledObject.
	LabelFunction = "fnmesh.dev/function"
	// AnnotationFunction carries the function's name exactly as the mesh
	// file spells it (label values are more restricted than function names).
	AnnotationFunction = "fnmesh.dev/function"
)

// dns1123Label is what Kubernetes accepts as a Deployment, Service or
// ConfigMap name part and as a DNS label.
var dns1123Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// labelValue is what Kubernetes accepts as a label value (at most 63).
var labelValue = regexp.MustCompile(`^[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?$`)

// DeploymentName is the name of the Deployment (and of its Service and
// ScaledObject) that runs the workers of function fn: "fnmesh-<fn>". Function
// names may hold upper-case letters and '_' and be 63 long, which Kubernetes
// names may not; such names are lower-cased, '_' becomes '-', and a short hash
// of the original name is appended so that two functions never share a
// Deployment. The result is a valid DNS-1123 label of at most 63 characters.
func DeploymentName(fn string) string {
	name := "fnmesh-" + fn
	if len(name) <= 63 && dns1123Label.MatchString(name) {
		return name
	}
	return hashedName("fnmesh-"+sanitizeDNS(fn), fn)
}

// FunctionLabel is the value of LabelFunction for function fn: the
// name itself when it is a valid label value, else a sanitized name with a
// short hash of the original.
func FunctionLabel(fn string) string {
	if len(fn) <= 63 && labelValue.MatchString(fn) {
		return fn
	}
	return hashedName(sanitizeDNS(fn), fn)
}

// sanitizeDNS lower-cases s and replaces every character a DNS label may not
// hold with '-'.
func sanitizeDNS(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		default:
			return '-'
		}
	}, s)
}

// hashedName is base cut so that "<base>-<8 hex of sha256(orig)>" fits in 63
// characters, with dashes trimmed at the cut.
func hashedName(base, orig string) string {
	sum := sha256.Sum256([]byte(orig))
	suffix := hex.EncodeToString(sum[:4])
	base = strings.Trim(base, "-")
	if len(base) > 63-1-len(suffix) {
		base = strings.TrimRight(base[:63-1-len(suffix)], "-")
	}
	if base == "" || base[0] < 'a' || base[0] > 'z' {
		base = "f" + base
		if len(base) > 63-1-len(suffix) {
			base = strings.TrimRight(base[:63-1-len(suffix)], "-")
		}
	}
	return base + "-" + suffix
}
