package history

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendRecord appends rec as one JSON line, the same document
// encoding/json writes (and reads back), without reflection: it is the
// recorder's cost per record.
func appendRecord(b []byte, rec *Record) []byte {
	b = append(b, `{"function":`...)
	b = appendString(b, rec.Function)
	b = appendField(b, "eventId", rec.EventID)
	b = appendField(b, "type", rec.Type)
	b = appendField(b, "source", rec.Source)
	b = appendField(b, "stream", rec.Stream)
	if rec.Seq != 0 {
		b = strconv.AppendUint(append(b, `,"seq":`...), rec.Seq, 10)
	}
	b = appendField(b, "subject", rec.Subject)
	b = strconv.AppendUint(append(b, `,"attempt":`...), rec.Attempt, 10)
	b = appendString(append(b, `,"outcome":`...), rec.Outcome)
	b = append(append(b, `,"duration":"`...), rec.Duration.String()...)
	b = append(b, '"')
	b = appendField(b, "error", rec.Error)
	b = appendField(b, "traceId", rec.TraceID)
	b = appendField(b, "replica", rec.Replica)
	b = append(b, `,"time":"`...)
	b = rec.Time.AppendFormat(b, time.RFC3339Nano)
	return append(b, "\"}\n"...)
}

// appendField appends `,"name":"v"` unless v is empty (omitempty).
func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(append(append(b, `,"`...), name...), `":`...)
	return appendString(b, v)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		q, _ := json.Marshal(s) // replaces invalid bytes, as Encode does
		return append(b, q...)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0 // s[start:i] needs no escape: appended in one go
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		start = i + 1
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
