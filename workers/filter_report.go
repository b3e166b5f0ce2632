package workers

import (
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// OutcomeFilterError: a filter failed to evaluate on the event (a CESQL
// expression met a missing attribute or a failed cast) and did not match,
// so the event was filtered out and acknowledged, as OutcomeFiltered; the
// outcome (and the metric of processed events by outcome) shows it.
const OutcomeFilterError = "filter_error"

// filterWarnEvery bounds the WARN lines about failing filters: one per
// function per interval, with the count of those not logged.
const filterWarnEvery = 10 * time.Second

// filterWarner rate-limits the WARN about filters that fail to evaluate.
type filterWarner struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// filterEvent evaluates the worker's filters on e. A filter that fails to
// evaluate is logged at WARN (at most once per filterWarnEvery, with the
// number of failures not logged since) and, when the event is filtered out
// because of it, reported as OutcomeFilterError with the error.
func (w *Worker) filterEvent(e *event.Event, log eventLog) (matched bool, outcome string, err error) {
	matched, ferr := w.filter.Match(e)
	if ferr == nil {
		return matched, OutcomeFiltered, nil
	}
	if n, ok := w.filterWarn.allow(time.Now()); ok {
		what := "the event is filtered out (acknowledged, not handled)"
		if matched {
			what = "another filter matched; the event is handled"
		}
		log.get().Warn("filter failed to evaluate; "+what, "error", ferr, "not_logged_since_last", n)
	}
	if matched {
		return true, "", nil
	}
	return false, OutcomeFilterError, ferr
}

// allow reports whether a WARN may be written at now and how many were
// suppressed since the last one.
func (f *filterWarner) allow(now time.Time) (suppressed int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.last.IsZero() && now.Sub(f.last) < filterWarnEvery {
		f.suppressed++
		return 0, false
	}
	n := f.suppressed
	f.last, f.suppressed = now, 0
	return n, true
}
