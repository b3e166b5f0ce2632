package workerlog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxLine is the longest worker output line logged as one record; longer
// lines are split.
const MaxLine = 16 << 10

// Writer is an io.Writer that logs a worker's output one record per
// line. Lines the worker wrote with slog (JSON or text handler) keep their
// level, message and attributes; other lines are logged at info as they are.
type Writer struct {
	log *slog.Logger

	mu  sync.Mutex
	buf []byte
}

// New returns a Writer that logs to l with output (e.g. "stdout") as the
// "output" attribute.
func New(l *slog.Logger, output string) *Writer {
	return &Writer{log: l.With("output", output)}
}

// Write logs every complete line of p and keeps the rest for later.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// w.buf holds no newline, so the first one is in p.
	from := len(w.buf)
	w.buf = append(w.buf, p...)
	rest := w.buf
	for {
		i := bytes.IndexByte(rest[from:], '\n')
		if i < 0 {
			break
		}
		w.emit(rest[:from+i])
		rest, from = rest[from+i+1:], 0
	}
	for len(rest) > MaxLine {
		w.emitPiece(rest[:MaxLine])
		rest = rest[MaxLine:]
	}
	if len(rest) != len(w.buf) {
		w.buf = w.buf[:copy(w.buf, rest)]
	}
	return len(p), nil
}

// Flush logs what is left of an unterminated last line.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit(w.buf)
	w.buf = nil
}

// emit logs one line, in pieces of at most MaxLine bytes.
func (w *Writer) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	for len(line) > MaxLine {
		w.emitPiece(line[:MaxLine])
		line = line[MaxLine:]
	}
	w.emitPiece(line)
}

func (w *Writer) emitPiece(line []byte) {
	if len(line) == 0 {
		return
	}
	level, msg, attrs := parseChildLine(line)
	w.log.LogAttrs(context.Background(), level, msg, attrs...)
}

// isChildOwnKey reports keys of a worker's log line that the parent's
// record carries itself.
func isChildOwnKey(k string) bool {
	switch k {
	case "time", "level", "msg", "message", "function", "replica", "output":
		return true
	}
	return false
}

// parseChildLine reads one line of worker output. A JSON object with a
// "msg" (or "message") string, or a slog text line ("time=... level=...
// msg=..."), gives its level, message and other fields; anything else is an
// info message holding the whole line.
func parseChildLine(line []byte) (slog.Level, string, []slog.Attr) {
	var (
		fields map[string]any
		ok     bool
	)
	switch {
	case bytes.HasPrefix(line, []byte("{")):
		fields, ok = parseJSONLine(line)
	case bytes.HasPrefix(line, []byte("time=")), bytes.HasPrefix(line, []byte("level=")):
		fields, ok = parseTextLine(string(line))
	}
	if !ok {
		return slog.LevelInfo, string(line), nil
	}
	msg, isStr := fields["msg"].(string)
	if !isStr {
		msg, isStr = fields["message"].(string)
	}
	if !isStr {
		return slog.LevelInfo, string(line), nil
	}
	level := slog.LevelInfo
	if s, isStr := fields["level"].(string); isStr {
		if l, known := parseLevel(s); known {
			level = l
			delete(fields, "level")
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k == "" || k != "level" && isChildOwnKey(k) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, fields[k]))
	}
	return level, msg, attrs
}

// parseLevel reads a level as slog writes it ("INFO", "WARN+2") or as other
// loggers do ("warning", "fatal").
func parseLevel(s string) (slog.Level, bool) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err == nil {
		return l, true
	}
	switch strings.ToLower(s) {
	case "trace":
		return slog.LevelDebug, true
	case "warning":
		return slog.LevelWarn, true
	case "fatal", "panic", "critical":
		return slog.LevelError, true
	}
	return 0, false
}

func parseJSONLine(line []byte) (map[string]any, bool) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || d.More() {
		return nil, false
	}
	return m, m != nil
}

// parseTextLine reads key=value pairs separated by spaces, values quoted the
// way strconv.Quote does when they need it (slog's text handler).
func parseTextLine(s string) (map[string]any, bool) {
	if !utf8.ValidString(s) {
		return nil, false
	}
	m := map[string]any{}
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return m, true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \"") {
			return nil, false
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := quotedEnd(s)
			if end < 0 {
				return nil, false
			}
			v, err := strconv.Unquote(s[:end])
			if err != nil {
				return nil, false
			}
			val, s = v, s[end:]
			if s != "" && s[0] != ' ' {
				return nil, false
			}
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		m[key] = val
	}
}

// quotedEnd is the index just after the closing quote of the quoted string
// s starts with, or -1.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}
