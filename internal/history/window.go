package history

import (
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/workers"
)

// Counts are the attempts of a span of history by outcome.
type Counts struct {
	Attempts, OK, Retries, DeadLetters int
}

// Window counts the attempts of the last span of history by function and
// outcome in one-second buckets, by the time each attempt started. A
// Counter feeds it; it answers the figures of recent history without
// reading the history stream. It is safe for concurrent use.
type Window struct {
	span time.Duration
	mu   sync.Mutex
	fns  map[string][]bucket // ring of span seconds, by second % len
}

// bucket is one second of attempts of one function.
type bucket struct {
	sec int64 // Unix second counted; a stale bucket is reset first
	Counts
}

// NewWindow counts the attempts of the last span (whole seconds, at least
// one).
func NewWindow(span time.Duration) *Window {
	return &Window{span: max(span.Truncate(time.Second), time.Second), fns: map[string][]bucket{}}
}

// Span is the span of history the window keeps.
func (w *Window) Span() time.Duration { return w.span }

// Add counts one attempt of fn that started at t.
func (w *Window) Add(fn, outcome string, t time.Time) {
	sec := t.Unix()
	w.mu.Lock()
	defer w.mu.Unlock()
	ring, ok := w.fns[fn]
	if !ok {
		ring = make([]bucket, int(w.span/time.Second))
		w.fns[fn] = ring
	}
	b := &ring[int(sec%int64(len(ring)))]
	switch {
	case b.sec > sec:
		return // older than what the bucket holds: out of the span
	case b.sec < sec:
		*b = bucket{sec: sec}
	}
	b.Attempts++
	switch outcome {
	case workers.OutcomeOK:
		b.OK++
	case workers.OutcomeRetry:
		b.Retries++
	case workers.OutcomeDeadLetter:
		b.DeadLetters++
	}
}

// Counts are the attempts of fn that started in the span up to now.
func (w *Window) Counts(fn string, now time.Time) Counts {
	w.mu.Lock()
	defer w.mu.Unlock()
	var c Counts
	end := now.Unix()
	for _, b := range w.fns[fn] {
		if b.sec > end-int64(len(w.fns[fn])) && b.sec <= end {
			c.Attempts += b.Attempts
			c.OK += b.OK
			c.Retries += b.Retries
			c.DeadLetters += b.DeadLetters
		}
	}
	return c
}
