package workerlog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// logRecorder is a slog.Handler that keeps the records it is given.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.records))
	for i, r := range h.records {
		out[i] = r.Message
	}
	return out
}

func attrsText(attrs []slog.Attr) string {
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a.String()
	}
	return strings.Join(parts, " ")
}

func TestParseChildLine(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		wantLevel slog.Level
		wantMsg   string
		wantAttrs string
	}{
		{name: "plain text", line: "listening on :8080", wantMsg: "listening on :8080"},
		{name: "slog JSON", line: `{"time":"2025-01-01T00:00:00Z","level":"WARN","msg":"slow","ms":120,"function":"x"}`,
			wantLevel: slog.LevelWarn, wantMsg: "slow", wantAttrs: "ms=120"},
		{name: "slog JSON with offset level and nested value", line: `{"level":"ERROR+2","msg":"m","a":{"b":1},"z":"y"}`,
			wantLevel: slog.LevelError + 2, wantMsg: "m", wantAttrs: "a=map[b:1] z=y"},
		{name: "JSON with message key and lower-case level", line: `{"level":"warning","message":"hi"}`,
			wantLevel: slog.LevelWarn, wantMsg: "hi"},
		{name: "JSON with an unknown level keeps it as an attribute", line: `{"level":"loud","msg":"hi"}`,
			wantMsg: "hi", wantAttrs: "level=loud"},
		{name: "JSON without msg is plain text", line: `{"level":"ERROR","x":1}`, wantMsg: `{"level":"ERROR","x":1}`},
		{name: "broken JSON is plain text", line: `{"msg":"x"`, wantMsg: `{"msg":"x"`},
		{name: "two JSON values are plain text", line: `{"msg":"x"}{"msg":"y"}`, wantMsg: `{"msg":"x"}{"msg":"y"}`},
		{name: "slog text", line: `time=2025-01-01T00:00:00.000Z level=DEBUG msg="event handled" id=42 source=/s replica=r1`,
			wantLevel: slog.LevelDebug, wantMsg: "event handled", wantAttrs: "id=42 source=/s"},
		{name: "slog text with escapes", line: `level=ERROR msg="a \"quoted\" word" err="x\ny"`,
			wantLevel: slog.LevelError, wantMsg: `a "quoted" word`, wantAttrs: "err=x\ny"},
		{name: "slog text with an empty value", line: `level=INFO msg=started dir=`, wantMsg: "started", wantAttrs: "dir="},
		{name: "unterminated quote is plain text", line: `level=INFO msg="open`, wantMsg: `level=INFO msg="open`},
		{name: "text after a closing quote is plain text", line: `level=INFO msg="a"b`, wantMsg: `level=INFO msg="a"b`},
		{name: "word without = is plain text", line: `level=INFO msg=x oops`, wantMsg: `level=INFO msg=x oops`},
		{name: "looks like text but has no msg", line: `level=INFO a=b`, wantMsg: `level=INFO a=b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, msg, attrs := parseChildLine([]byte(tt.line))
			if level != tt.wantLevel || msg != tt.wantMsg || attrsText(attrs) != tt.wantAttrs {
				t.Errorf("parseChildLine(%q) = %v %q [%s], want %v %q [%s]", tt.line, level, msg, attrsText(attrs), tt.wantLevel, tt.wantMsg, tt.wantAttrs)
			}
		})
	}
}

func TestLineLoggerSplitsLines(t *testing.T) {
	rec := &logRecorder{}
	w := New(slog.New(rec), "stdout")
	for _, chunk := range []string{"one\ntw", "o\r\n", "\n", "thr", "ee"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if got := rec.messages(); strings.Join(got, "|") != "one|two" {
		t.Fatalf("before Flush: %q, want [one two]", got)
	}
	w.Flush()
	if got := rec.messages(); strings.Join(got, "|") != "one|two|three" {
		t.Fatalf("after Flush: %q, want [one two three]", got)
	}
}

func TestLineLoggerBoundsLongLines(t *testing.T) {
	rec := &logRecorder{}
	w := New(slog.New(rec), "stderr")
	long := strings.Repeat("x", 2*MaxLine+10)
	_, _ = w.Write([]byte(long))
	got := rec.messages()
	if len(got) != 2 || len(got[0]) != MaxLine || len(got[1]) != MaxLine {
		t.Fatalf("a %d-byte line without newline gave %d records, want 2 of %d bytes", len(long), len(got), MaxLine)
	}
	if len(w.buf) != 10 {
		t.Fatalf("%d bytes kept, want 10", len(w.buf))
	}
	_, _ = w.Write([]byte("\n" + long + "\n"))
	if got := rec.messages(); len(got) != 6 || len(got[2]) != 10 || len(got[5]) != 10 {
		t.Fatalf("a %d-byte line with newline: records of %d bytes, want 3 pieces", len(long), len(got))
	}
}

// FuzzParseChildLine checks that any worker output line is logged without
// a panic and that plain lines are kept as they are.
func FuzzParseChildLine(f *testing.F) {
	for _, s := range []string{
		"plain", `{"level":"INFO","msg":"m","a":[1,2]}`, `{"msg":1}`, `{}`, `{"msg":"x","level":null}`,
		`time=t level=WARN msg="q \"x\"" k=v`, `level=`, `level="`, `level="\`, `time==`, "level=INFO msg=\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		level, msg, attrs := parseChildLine(line)
		structured := bytes.HasPrefix(line, []byte("{")) || bytes.HasPrefix(line, []byte("time=")) || bytes.HasPrefix(line, []byte("level="))
		if !structured && (msg != string(line) || len(attrs) != 0 || level != slog.LevelInfo) {
			t.Fatalf("plain line %q became %v %q %v", line, level, msg, attrs)
		}
		for _, a := range attrs {
			if a.Key == "" || isChildOwnKey(a.Key) && a.Key != "level" {
				t.Fatalf("attribute %q leaked from %q", a.Key, line)
			}
		}
		_ = fmt.Sprint(level, msg, attrs) // every value must format
	})
}

// FuzzLineLogger checks that whatever a worker writes, in whatever chunks,
// comes out as the same lines.
func FuzzLineLogger(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint8(1))
	f.Add([]byte("\n\n\n"), uint8(2))
	f.Add(bytes.Repeat([]byte("y"), MaxLine+3), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		rec := &logRecorder{}
		w := New(slog.New(rec), "stdout")
		step := int(chunk) + 1
		for i := 0; i < len(data); i += step {
			_, _ = w.Write(data[i:min(i+step, len(data))])
		}
		w.Flush()
		var want []string
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			line = bytes.TrimSuffix(line, []byte("\r"))
			for len(line) > MaxLine {
				want = append(want, string(line[:MaxLine]))
				line = line[MaxLine:]
			}
			if len(line) > 0 {
				want = append(want, string(line))
			}
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.records) != len(want) {
			t.Fatalf("%d records, want %d", len(rec.records), len(want))
		}
		for i, r := range rec.records {
			if !utf8.ValidString(want[i]) || want[i][0] == '{' || strings.HasPrefix(want[i], "time=") || strings.HasPrefix(want[i], "level=") {
				continue // structured lines are reshaped; plain ones must match
			}
			if r.Message != want[i] {
				t.Fatalf("record %d = %q, want %q", i, r.Message, want[i])
			}
		}
	})
}
