package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// Marshal writes objs as one multi-document YAML stream, documents
// separated by "---". Keys are sorted; status and empty creationTimestamp
// fields are left out.
func Marshal(objs []Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := marshalOne(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// WriteDir writes each object to dir as "<kind>-<name>.yaml" (lower case),
// creating dir. Applying the directory with kubectl creates the ConfigMap
// before the Deployments that mount it.
func WriteDir(dir string, objs []Object) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write manifests: %w", err)
	}
	for _, o := range objs {
		b, err := marshalOne(o)
		if err != nil {
			return err
		}
		name := FileName(o)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("write manifests: %w", err)
		}
	}
	return nil
}

// FileName is the file WriteDir writes o to.
func FileName(o Object) string {
	return strings.ToLower(o.GetObjectKind().GroupVersionKind().Kind) + "-" + o.GetName() + ".yaml"
}

// MarshalJSONList writes objs as one JSON document, a v1 List (which
// kubectl apply -f takes), with the same fields as Marshal.
func MarshalJSONList(objs []Object) ([]byte, error) {
	items := make([]any, 0, len(objs))
	for _, o := range objs {
		m, err := manifestMap(o)
		if err != nil {
			return nil, err
		}
		items = append(items, m)
	}
	b, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal manifests: %w", err)
	}
	return append(b, '\n'), nil
}

// manifestMap is o as the map its manifest holds.
func manifestMap(o Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("marshal %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
	}
	prune(m)
	delete(m, "status") // manifests declare; the cluster reports
	return m, nil
}

// marshalOne is the YAML of one object.
func marshalOne(o Object) ([]byte, error) {
	m, err := manifestMap(o)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
	}
	return b, nil
}

// prune drops the null creationTimestamp fields typed metadata leaves.
func prune(v any) {
	switch x := v.(type) {
	case map[string]any:
		if ts, ok := x["creationTimestamp"]; ok && ts == nil {
			delete(x, "creationTimestamp")
		}
		for _, c := range x {
			prune(c)
		}
	case []any:
		for _, c := range x {
			prune(c)
		}
	}
}
