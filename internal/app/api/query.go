package api

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
)

// FieldError is bad input, named.
type FieldError struct {
	Field, Rule string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Rule }

// outcomes the runs filter accepts.
var outcomes = map[string]bool{workers.OutcomeOK: true, workers.OutcomeRetry: true, workers.OutcomeDeadLetter: true}

// ParseRunsQuery reads the query parameters of GET /api/v1/runs:
// function, outcome (ok, retry, deadletter), event, since and until (RFC
// 3339 or a Go duration back from now), limit (1..history.MaxLimit) and
// after (a history sequence).
func ParseRunsQuery(v url.Values, now time.Time) (history.Query, error) {
	q := history.Query{Function: v.Get("function"), Outcome: v.Get("outcome"), EventID: v.Get("event")}
	if q.Outcome != "" && !outcomes[q.Outcome] {
		return q, &FieldError{"outcome", "must be ok, retry or deadletter"}
	}
	if q.Function != "" && !isName(q.Function) {
		return q, &FieldError{"function", "must be a function name (letters, digits, '-' or '_')"}
	}
	var err error
	if q.Since, err = parseTime(v, "since", now); err != nil {
		return q, err
	}
	if q.Until, err = parseTime(v, "until", now); err != nil {
		return q, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return q, &FieldError{"until", "must be after since"}
	}
	if q.Limit, err = parseInt(v, "limit", 1, history.MaxLimit); err != nil {
		return q, err
	}
	if s := v.Get("after"); s != "" {
		n, perr := strconv.ParseUint(s, 10, 64)
		if perr != nil {
			return q, &FieldError{"after", "must be a history sequence (a non-negative integer)"}
		}
		q.AfterSeq = n
	}
	return q, nil
}

// parseTime reads an RFC 3339 time or a Go duration meaning that long
// before now ("1h").
func parseTime(v url.Values, name string, now time.Time) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, &FieldError{name, fmt.Sprintf("%q: must be an RFC 3339 time (2026-12-01T10:00:00Z) or a positive duration back from now (90m)", s)}
}

func parseInt(v url.Values, name string, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, &FieldError{name, fmt.Sprintf("%q: must be an integer from %d to %d", s, lo, hi)}
	}
	return n, nil
}

func isName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CompileCESQL compiles a CESQL expression with the workers' own filter
// rules; a syntax error names its column.
func CompileCESQL(field, src string) (func(*event.Event) bool, error) {
	f, err := workers.CompileFilters([]workers.FilterSpec{{CESQL: src}})
	if err != nil {
		msg := err.Error()
		if fes := workers.FieldErrors(err); len(fes) > 0 {
			msg = fes[0].Rule
		}
		return nil, &FieldError{field, msg}
	}
	return func(e *event.Event) bool { ok, err := f.Match(e); return err == nil && ok }, nil
}
