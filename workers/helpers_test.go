package workers

import (
	"errors"
	"strings"

	"github.com/fnmesh/fnmesh/broker"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func escapeForTest(typ string) string { return broker.EscapeType(typ) }

func errorsIsInvalidFilter(err error) bool { return errors.Is(err, ErrInvalidFilter) }
