package workers

import (
	"strings"

	"github.com/fnmesh/fnmesh/broker"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func escapeForTest(typ string) string { return broker.EscapeType(typ) }
