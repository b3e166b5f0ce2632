package history

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// A history message is a batch of JSON lines. Since the batch header, its
// first line is a header holding what the records of the batch share
// (function, replica, stream, subject, type and source, as the first
// record has them), and each record line holds only the fields that
// differ from it: about half the bytes of a full record. Messages stored
// before have no header and full records; both are read.
//
// Header:  {"batch":2,"function":"f","stream":"EVENTS",...}
// Record:  {"attempt":1,"outcome":"ok","duration":"1ms","eventId":"e-1",...}

// batchHeader starts the first line of a message with a header.
var batchHeader = []byte(`{"batch":`)

// batchVersion is the header's "batch" value.
const batchVersion = 2

// shared is the header of a batch whose first record is rec: its fields
// the records of one recorder and function mostly share.
func shared(rec *Record) Record {
	return Record{Function: rec.Function, Stream: rec.Stream, Subject: rec.Subject, Type: rec.Type, Source: rec.Source, Replica: rec.Replica}
}

// appendHeader appends the header line of a batch whose records share
// def.
func appendHeader(b []byte, def *Record) []byte {
	b = strconv.AppendInt(append(b, batchHeader...), batchVersion, 10)
	b = appendField(b, "function", def.Function)
	b = appendField(b, "stream", def.Stream)
	b = appendField(b, "subject", def.Subject)
	b = appendField(b, "type", def.Type)
	b = appendField(b, "source", def.Source)
	b = appendField(b, "replica", def.Replica)
	return append(b, "}\n"...)
}

// appendRecord appends rec as one JSON line without the fields it shares
// with the header def (a zero def: every field, a line encoding/json reads
// back as rec), without reflection: it is the recorder's cost per record.
// The event id never comes first, so `,"eventId":` finds it.
func appendRecord(b []byte, rec, def *Record) []byte {
	b = strconv.AppendUint(append(b, `{"attempt":`...), rec.Attempt, 10)
	b = appendString(append(b, `,"outcome":`...), rec.Outcome)
	b = append(append(b, `,"duration":"`...), rec.Duration.String()...)
	b = append(b, '"')
	b = appendField(b, "eventId", rec.EventID)
	if rec.Seq != 0 {
		b = strconv.AppendUint(append(b, `,"seq":`...), rec.Seq, 10)
	}
	b = appendDiff(b, "function", rec.Function, def.Function)
	b = appendDiff(b, "stream", rec.Stream, def.Stream)
	b = appendDiff(b, "subject", rec.Subject, def.Subject)
	b = appendDiff(b, "type", rec.Type, def.Type)
	b = appendDiff(b, "source", rec.Source, def.Source)
	b = appendDiff(b, "replica", rec.Replica, def.Replica)
	b = appendField(b, "error", rec.Error)
	b = appendField(b, "traceId", rec.TraceID)
	b = append(b, `,"time":"`...)
	b = rec.Time.AppendFormat(b, time.RFC3339Nano)
	return append(b, "\"}\n"...)
}

// appendField appends `,"name":"v"` unless v is empty (omitempty).
func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(append(append(b, `,"`...), name...), `":`...), v)
}

// appendDiff appends `,"name":"v"` unless v is the header's value d (an
// empty v is written when d is not).
func appendDiff(b []byte, name, v, d string) []byte {
	if v == d {
		return b
	}
	return appendString(append(append(append(b, `,"`...), name...), `":`...), v)
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

// eachRecord calls fn with every record of one history message, with or
// without a header; a line that is not JSON, or not a record (no
// function or outcome), is skipped. When needle is not nil, a record line
// without it is skipped undecoded.
func eachRecord(data, needle []byte, fn func(Record)) {
	var def Record
	first := true
	for line := range bytes.Lines(data) {
		if first {
			first = false
			if bytes.HasPrefix(line, batchHeader) {
				var h Record
				if json.Unmarshal(line, &h) == nil {
					def = shared(&h)
				}
				continue
			}
		}
		if needle != nil && !bytes.Contains(line, needle) {
			continue
		}
		rec := def
		if json.Unmarshal(line, &rec) != nil || rec.Function == "" || rec.Outcome == "" {
			continue
		}
		fn(rec)
	}
}

// records is the number of records in a message the recorder wrote: its
// lines but the header.
func records(data []byte) int {
	n := bytes.Count(data, []byte{'\n'})
	if bytes.HasPrefix(data, batchHeader) {
		n--
	}
	return n
}
