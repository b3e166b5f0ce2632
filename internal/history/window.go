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
//
// A function with no attempt in the span up to the newest time the window
// was told of (by Add or Counts) is forgotten, at most a span later: a
// function removed from the mesh does not keep its buckets.
type Window struct {
	span  int64 // seconds
	mu    sync.Mutex
	fns   map[string]*ring
	clock int64 // newest Unix second seen
	swept int64 // clock of the last sweep of forgotten functions
}

// ring is the buckets of one function, by second % len.
type ring struct {
	buckets []bucket
	last    int64 // newest second counted
}

// bucket is one second of attempts of one function.
type bucket struct {
	sec int64 // Unix second counted; a stale bucket is reset first
	Counts
}

// NewWindow counts the attempts of the last span (whole seconds, at least
// one).
func NewWindow(span time.Duration) *Window {
	return &Window{span: int64(max(span.Truncate(time.Second), time.Second) / time.Second), fns: map[string]*ring{}}
}

// Span is the span of history the window keeps.
func (w *Window) Span() time.Duration { return time.Duration(w.span) * time.Second }

// Add counts one attempt of fn that started at t.
func (w *Window) Add(fn, outcome string, t time.Time) {
	sec := t.Unix()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tick(sec)
	r, ok := w.fns[fn]
	if !ok {
		r = &ring{buckets: make([]bucket, w.span)}
		w.fns[fn] = r
	}
	b := &r.buckets[int(sec%w.span)]
	switch {
	case b.sec > sec:
		return // older than what the bucket holds: out of the span
	case b.sec < sec:
		*b = bucket{sec: sec}
	}
	r.last = max(r.last, sec)
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

// tick moves the clock to sec if it is newer and, at most once a span,
// drops the functions with no attempt in the span up to the clock.
func (w *Window) tick(sec int64) {
	if sec <= w.clock {
		return
	}
	w.clock = sec
	if w.clock-w.swept < w.span {
		return
	}
	w.swept = w.clock
	for fn, r := range w.fns {
		if r.last <= w.clock-w.span {
			delete(w.fns, fn)
		}
	}
}

// Counts are the attempts of fn that started in the span up to now.
func (w *Window) Counts(fn string, now time.Time) Counts {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := now.Unix()
	w.tick(end)
	var c Counts
	r := w.fns[fn]
	if r == nil {
		return c
	}
	for _, b := range r.buckets {
		if b.sec > end-w.span && b.sec <= end {
			c.Attempts += b.Attempts
			c.OK += b.OK
			c.Retries += b.Retries
			c.DeadLetters += b.DeadLetters
		}
	}
	return c
}

// Len is the number of functions the window holds.
func (w *Window) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.fns)
}
