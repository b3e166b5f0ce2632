package api_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/api"
)

var fuzzNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// FuzzParseRunsQuery: any query string is either a query or a *FieldError
// naming a parameter; never a panic.
func FuzzParseRunsQuery(f *testing.F) {
	for _, s := range []string{"function=f&outcome=ok&since=1h&limit=10", "since=2026-12-01T09:00:00Z&until=2026-12-01T08:00:00Z", "limit=-1", "after=x", "outcome=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := api.ParseRunsQuery(v, fuzzNow)
		var fe *api.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field == "") {
			t.Fatalf("error %v does not name a field", err)
		}
		if err == nil && (q.Limit < 0 || !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since)) {
			t.Fatalf("accepted %+v", q)
		}
	})
}

// FuzzParseReplay: any body is either a replay to a known function or a
// *FieldError; CESQL syntax errors included.
func FuzzParseReplay(f *testing.F) {
	for _, s := range []string{`{"function":"f","since":"1h","cesql":"type = 'a'"}`, `{"function":"f","since":"1h","cesql":"type ="}`, `{"function":"g"}`, `[`, `{"function":"f","since":"1h","until":"2h"}`} {
		f.Add(s)
	}
	fns := []api.Function{{Name: "f", Stream: "EVENTS"}}
	f.Fuzz(func(t *testing.T, body string) {
		spec, err := api.ParseReplay(strings.NewReader(body), fns, fuzzNow)
		var fe *api.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field == "") {
			t.Fatalf("error %v does not name a field", err)
		}
		if err == nil && (spec.Function != "f" || spec.Stream != "EVENTS" || spec.Since.IsZero()) {
			t.Fatalf("accepted %+v", spec)
		}
	})
}

// FuzzParseStreamQuery: any query string and Last-Event-ID header is
// either a stream query or a *FieldError naming the parameter; CESQL
// syntax errors included.
func FuzzParseStreamQuery(f *testing.F) {
	for _, s := range []string{"function=f&outcome=ok&type=t&status=1", "cesql=type+%3D+%27a%27&after=7", "cesql=type+%3D", "status=maybe", "after=x", "event=e-1&after=0"} {
		f.Add(s, "")
		f.Add(s, "12")
	}
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, raw, lastID string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		sq, err := api.ParseStreamQuery(v, lastID)
		var fe *api.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field == "") {
			t.Fatalf("error %v does not name a field", err)
		}
		if err == nil && v.Get("cesql") != "" && sq.Match == nil {
			t.Fatalf("a CESQL filter compiled to nothing: %+v", sq)
		}
		if err == nil && sq.FromEnd && (v.Has("after") || lastID != "") {
			t.Fatalf("starts at the end despite after/Last-Event-ID: %+v", sq)
		}
	})
}
