package api_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/history"
)

// countedRuns counts the queries of the history.
type countedRuns struct {
	*history.Reader
	n atomic.Int64
}

func (c *countedRuns) Runs(ctx context.Context, q history.Query) (history.Result, error) {
	c.n.Add(1)
	return c.Reader.Runs(ctx, q)
}

func TestFunctionsFiguresComeFromTheWindow(t *testing.T) {
	srv := brokertest.Server(t, "")
	client := brokertest.Client(t, srv)
	cfg := history.Config{}
	brokertest.Ensure(t, client, cfg.StreamSpec())
	rd, err := history.NewReader(brokertest.Conn(t, srv), cfg)
	if err != nil {
		t.Fatal(err)
	}
	dlq, err := broker.NewDeadLetterQueue(client, broker.DeadLetterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	win := history.NewWindow(api.RateWindow)
	win.Add("f", "ok", now.Add(-time.Minute))
	win.Add("f", "retry", now.Add(-time.Minute))
	win.Add("f", "ok", now.Add(-10*time.Minute)) // out of the window
	runs := &countedRuns{Reader: rd}
	a, err := api.New(api.Config{Runs: runs, Recent: win, Events: client, DeadLetters: dlq, Now: func() time.Time { return now },
		Functions: []api.Function{{Name: "f"}, {Name: "g"}}})
	if err != nil {
		t.Fatal(err)
	}
	fns, err := a.Functions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f := fns[0].Recent; f.Attempts != 2 || f.OK != 1 || f.Retries != 1 || f.ErrorRate != 0.5 || f.PerSecond != 2/api.RateWindow.Seconds() || f.Truncated {
		t.Errorf("figures of f = %+v", f)
	}
	if g := fns[1].Recent; g.Attempts != 0 {
		t.Errorf("figures of g = %+v", g)
	}
	if n := runs.n.Load(); n != 0 {
		t.Errorf("the figures read the history %d times, want none", n)
	}
}
