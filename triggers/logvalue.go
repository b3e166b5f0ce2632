package triggers

import (
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// maxLogValue bounds, in bytes, a value a client chose (an event's id,
// source or type, a delivery id, a rejection reason) in a log line, so that
// one request cannot write a log line of its own size.
const maxLogValue = 256

// logValue returns s cut to maxLogValue bytes at a character boundary,
// followed by how long it was.
func logValue(s string) string {
	if len(s) <= maxLogValue {
		return s
	}
	cut := maxLogValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "...(" + strconv.Itoa(len(s)) + " bytes)"
}

// eventAttrs are the log attributes naming an event: its id, source and
// type, each bounded by logValue.
func eventAttrs(id, source, typ string) []any {
	return []any{
		slog.String("id", logValue(id)),
		slog.String("source", logValue(source)),
		slog.String("type", logValue(typ)),
	}
}
