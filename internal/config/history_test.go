package config_test

import (
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/internal/config"
)

func TestHistoryDefaultsAndRules(t *testing.T) {
	head := "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\n"
	m, err := config.Parse("mesh.yaml", []byte(head))
	if err != nil {
		t.Fatal(err)
	}
	h := m.History
	if !h.On() || h.Stream != "FNMESH_RUNS" || h.SubjectPrefix != "fnmesh.runs" || h.MaxAge.D().String() != "24h0m0s" || h.MaxBytes != 256<<20 || h.Replicas != 1 {
		t.Errorf("defaults = %+v", h)
	}
	for _, tt := range []struct{ name, yaml, want string }{
		{"overlap", "history: {subjectPrefix: events.runs}\n", "history.subjectPrefix"},
		{"same stream", "history: {stream: EVENTS}\n", "history.stream"},
		{"replicas", "history: {replicas: 9}\n", "history.replicas"},
		{"maxBytes", "history: {maxBytes: -2}\n", "history.maxBytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("mesh.yaml", []byte(head+tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "mesh.yaml:3:") {
				t.Errorf("err = %v, want one naming %s at mesh.yaml:3", err, tt.want)
			}
		})
	}
}
