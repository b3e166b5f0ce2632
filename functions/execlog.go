package functions

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

// maxExecLogLine bounds one logged line of an exec program's output; the
// rest of a longer line is dropped and the record says how much.
const maxExecLogLine = 4 << 10

// ExecOption configures an ExecAdapter.
type ExecOption func(*ExecAdapter)

// WithExecLogger logs each line the program writes to stderr, and each line
// of a stdout that holds no event, at info on l with the event id
// ("exec output", stream=stderr|stdout), also when the program succeeds.
// Lines are bounded to 4 KiB. Nil logs nothing (the default).
func WithExecLogger(l *slog.Logger) ExecOption {
	return func(a *ExecAdapter) { a.log = l }
}

// execLines is an io.Writer that logs an exec program's output one record
// per line.
type execLines struct {
	log *slog.Logger

	mu  sync.Mutex
	buf []byte
	cut int // bytes dropped from the line in buf
}

func newExecLines(l *slog.Logger, id, stream string) *execLines {
	return &execLines{log: l.With("event_id", id, "stream", stream)}
}

// Write logs every complete line of p and keeps the start of the rest.
func (w *execLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		w.add(part)
		if i < 0 {
			break
		}
		w.emit()
		p = p[i+1:]
	}
	return n, nil
}

// add appends to the current line within its bound.
func (w *execLines) add(b []byte) {
	room := maxExecLogLine - len(w.buf)
	if len(b) > room {
		w.cut += len(b) - room
		b = b[:room]
	}
	w.buf = append(w.buf, b...)
}

// Flush logs an unterminated last line.
func (w *execLines) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit()
}

func (w *execLines) emit() {
	line := strings.ToValidUTF8(strings.TrimSuffix(string(w.buf), "\r"), "\uFFFD")
	if line != "" || w.cut > 0 {
		if w.cut > 0 {
			w.log.Info("exec output", "line", line, "truncated_bytes", w.cut)
		} else {
			w.log.Info("exec output", "line", line)
		}
	}
	w.buf, w.cut = w.buf[:0], 0
}
