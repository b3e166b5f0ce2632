package api_test

import (
	"fmt"
	"net/url"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/api"
)

func ExampleParseRunsQuery() {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	q, err := api.ParseRunsQuery(url.Values{"function": {"fulfil-order"}, "outcome": {"deadletter"}, "since": {"90m"}}, now)
	fmt.Println(q.Function, q.Outcome, q.Since.Format(time.RFC3339), err)
	_, err = api.ParseRunsQuery(url.Values{"outcome": {"failed"}}, now)
	fmt.Println(err)
	// Output:
	// fulfil-order deadletter 2026-12-01T08:30:00Z <nil>
	// outcome: must be ok, retry or deadletter
}
