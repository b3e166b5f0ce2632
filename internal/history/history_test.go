package history_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
)

// handlerFunc adapts a function to workers.Handler.
type handlerFunc func(context.Context, event.Event) ([]event.Event, error)

func (f handlerFunc) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	return f(ctx, e)
}

type permanent struct{ error }

func (permanent) Permanent() bool { return true }

// env is a real embedded server with the event, dead-letter and history
// streams, and a worker for function "f" whose attempts are recorded.
type env struct {
	pub *broker.Client
	rec *history.Recorder
	rd  *history.Reader
	cfg history.Config
}

func start(t *testing.T, h workers.Handler) *env {
	t.Helper()
	srv := brokertest.Server(t, "")
	pub := brokertest.Client(t, srv)
	cfg := history.Config{}
	brokertest.Ensure(t, pub, cfg.StreamSpec())
	rec, err := history.NewRecorder(brokertest.Conn(t, srv), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := history.NewReader(brokertest.Conn(t, srv), cfg)
	if err != nil {
		t.Fatal(err)
	}
	wc := brokertest.Conn(t, srv)
	c, err := broker.New(wc, broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dlq := brokertest.DeadLetterQueue(t, c)
	fn := workers.Config{Function: "f", Stream: "EVENTS", SubjectPrefix: "events", AckWait: 5 * time.Second,
		Delivery: workers.Delivery{Retry: new(1), BackoffDelay: 50 * time.Millisecond}}
	w, err := workers.New(fn, workers.Broker{Consumers: c, Publisher: c, DeadLetterer: dlq}, h,
		workers.WithHooks(history.Hooks(rec, "f-1", workers.Hooks{})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	poll.Until(t, 10*time.Second, "worker ready", w.Ready)
	return &env{pub: pub, rec: rec, rd: rd, cfg: cfg}
}

func (e *env) publish(t *testing.T, id, typ string) broker.Ack {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType(typ)
	ev.SetSource("/test")
	ack, err := e.pub.Publish(context.Background(), &ev)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

func (e *env) runs(t *testing.T, q history.Query) []history.Record {
	t.Helper()
	res, err := e.rd.Runs(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return res.Records
}

func TestEveryAttemptIsRecordedWithItsOutcome(t *testing.T) {
	e := start(t, handlerFunc(func(_ context.Context, ev event.Event) ([]event.Event, error) {
		switch ev.Type() {
		case "t.fail":
			return nil, errors.New("boom")
		case "t.perm":
			return nil, permanent{errors.New("bad input")}
		}
		return nil, nil
	}))
	okAck := e.publish(t, "ok-1", "t.ok")
	e.publish(t, "fail-1", "t.fail")
	e.publish(t, "perm-1", "t.perm")
	// ok-1: ok; fail-1: retry then deadletter (one retry); perm-1: deadletter.
	poll.Until(t, 10*time.Second, "4 records", func() bool { return len(e.runs(t, history.Query{})) == 4 })

	ok := e.runs(t, history.Query{EventID: "ok-1"})
	if len(ok) != 1 {
		t.Fatalf("runs of ok-1 = %d, want 1", len(ok))
	}
	r := ok[0]
	if r.Function != "f" || r.Outcome != workers.OutcomeOK || r.Attempt != 1 || r.Type != "t.ok" || r.Source != "/test" ||
		r.Stream != "EVENTS" || r.Seq != okAck.Sequence || r.Replica != "f-1" || r.Time.IsZero() || r.Duration <= 0 {
		t.Errorf("record of ok-1 = %+v (stored at seq %d)", r, okAck.Sequence)
	}
	fail := e.runs(t, history.Query{EventID: "fail-1"})
	if len(fail) != 2 || fail[0].Outcome != workers.OutcomeRetry || fail[1].Outcome != workers.OutcomeDeadLetter ||
		fail[0].Attempt != 1 || fail[1].Attempt != 2 || fail[1].Error != "boom" {
		t.Errorf("records of fail-1 = %+v", fail)
	}
	if dl := e.runs(t, history.Query{Outcome: workers.OutcomeDeadLetter}); len(dl) != 2 {
		t.Errorf("deadletter records = %d, want 2: %+v", len(dl), dl)
	}
	if other := e.runs(t, history.Query{Function: "g"}); len(other) != 0 {
		t.Errorf("records of function g = %+v", other)
	}
	if st := e.rec.Stats(); st.Recorded != 4 || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestQueryLimitTimeRangeAndAfterSeq(t *testing.T) {
	e := start(t, handlerFunc(func(context.Context, event.Event) ([]event.Event, error) { return nil, nil }))
	for i := range 10 {
		e.publish(t, fmt.Sprintf("e-%d", i), "t.ok")
	}
	poll.Until(t, 10*time.Second, "10 records", func() bool { return len(e.runs(t, history.Query{})) == 10 })
	all := e.runs(t, history.Query{})
	last3 := e.runs(t, history.Query{Limit: 3})
	if len(last3) != 3 || last3[0].HistorySeq != all[7].HistorySeq || last3[2].HistorySeq != all[9].HistorySeq {
		t.Errorf("limit 3 = %+v, want the newest three of %+v", last3, all)
	}
	after := e.runs(t, history.Query{AfterSeq: all[9].HistorySeq})
	if len(after) != 0 {
		t.Errorf("after the last seq %d = %d records", all[9].HistorySeq, len(after))
	}
	// Records are stored in batches by function and shard of the event id,
	// so the stored order is not the order of the starts.
	first, last := all[0], all[0]
	for _, r := range all {
		if r.Time.Before(first.Time) {
			first = r
		}
		if r.Time.After(last.Time) {
			last = r
		}
	}
	if got := e.runs(t, history.Query{Until: first.Time}); len(got) != 0 {
		t.Errorf("until the first start = %d records, want 0", len(got))
	}
	if got := e.runs(t, history.Query{Since: last.Time}); !slices.ContainsFunc(got, func(r history.Record) bool { return r.EventID == last.EventID }) {
		t.Errorf("since the last start = %+v, want %s among them", got, last.EventID)
	}
}

func TestFullBufferDropsInsteadOfBlocking(t *testing.T) {
	srv := brokertest.Server(t, "")
	nc := brokertest.Conn(t, srv)
	rec, err := history.NewRecorder(nc, history.Config{}, history.WithMaxBuffered(10), history.WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		rec.Record(history.Record{Function: "f", Outcome: "ok"})
	}
	if st := rec.Stats(); st.Dropped != 990 {
		t.Errorf("stats = %+v, want 990 dropped past a buffer of 10", st)
	}
}

func TestCloseSendsWhatIsBuffered(t *testing.T) {
	srv, cfg, rec := newRecorder(t, history.WithFlushInterval(time.Hour))
	for i := range 600 { // three batches: 256, 256, 88
		rec.Record(history.Record{Function: "f", Outcome: "ok", EventID: fmt.Sprint(i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	rd, err := history.NewReader(brokertest.Conn(t, srv), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rd.Runs(ctx, history.Query{Limit: 1000})
	// At most 256 records a message: three or more messages, as the
	// kicks of full batches and the sender's timing split them.
	ids := map[string]bool{}
	for _, r := range res.Records {
		ids[r.EventID] = true
	}
	if err != nil || len(ids) != 600 || res.LastSeq < 3 {
		t.Errorf("read back %d records (%d ids), last seq %d, %v; want 600 in at least 3 messages", len(res.Records), len(ids), res.LastSeq, err)
	}
	if st := rec.Stats(); st.Recorded != 600 || st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestEventLookupReadsOneShard(t *testing.T) {
	srv, cfg, rec := newRecorder(t, history.WithFlushInterval(time.Hour))
	const n = 1000 // about 60 a shard: one message per shard at Close
	for i := range n {
		rec.Record(history.Record{Function: "f", Outcome: "ok", EventID: fmt.Sprint("e-", i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// A record stored before the subjects were sharded.
	nc := brokertest.Conn(t, srv)
	if _, err := nc.Request("fnmesh.runs.f", []byte(`{"function":"f","eventId":"old-1","attempt":1,"outcome":"ok","duration":"1ms","time":"2026-01-02T03:04:05Z"}`+"\n"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	rd, err := history.NewReader(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	all, err := rd.Runs(ctx, history.Query{Limit: history.MaxLimit})
	if err != nil || len(all.Records) != n+1 || all.Scanned != history.Shards+1 {
		t.Fatalf("all: %d records in %d messages, %v; want %d in %d", len(all.Records), all.Scanned, err, n+1, history.Shards+1)
	}
	res, err := rd.Runs(ctx, history.Query{EventID: "e-7"})
	if err != nil || len(res.Records) != 1 || res.Records[0].EventID != "e-7" {
		t.Fatalf("e-7: %+v, %v", res.Records, err)
	}
	if res.Scanned != 2 { // its shard's message and the unsharded one
		t.Errorf("the lookup of e-7 read %d messages, want 2 of %d", res.Scanned, all.Scanned)
	}
	old, err := rd.Runs(ctx, history.Query{EventID: "old-1"})
	if err != nil || len(old.Records) != 1 {
		t.Errorf("old-1: %+v, %v", old.Records, err)
	}
	fn, err := rd.Runs(ctx, history.Query{Function: "f", Limit: history.MaxLimit})
	if err != nil || len(fn.Records) != n+1 {
		t.Errorf("function f: %d records, %v; want %d", len(fn.Records), err, n+1)
	}
}

func TestNewestRecordsReadTheEndOfTheHistory(t *testing.T) {
	srv := brokertest.Server(t, "")
	cfg := history.Config{}
	brokertest.Ensure(t, brokertest.Client(t, srv), cfg.StreamSpec())
	nc := brokertest.Conn(t, srv)
	const n = 300 // messages of one record each
	for i := range n {
		outcome := "ok"
		if i == 0 {
			outcome = "deadletter"
		}
		line := fmt.Sprintf(`{"function":"f","eventId":"e-%d","attempt":1,"outcome":%q,"duration":"1ms","time":"2026-01-02T03:04:05Z"}`+"\n", i, outcome)
		if _, err := nc.Request("fnmesh.runs.s0.f", []byte(line), 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	rd, err := history.NewReader(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := rd.Runs(ctx, history.Query{Limit: 5})
	if err != nil || len(res.Records) != 5 || res.Records[4].EventID != fmt.Sprint("e-", n-1) || res.Records[0].EventID != fmt.Sprint("e-", n-5) {
		t.Fatalf("newest 5: %+v, %v", res.Records, err)
	}
	if res.Scanned > 64 || res.Truncated {
		t.Errorf("the newest 5 read %d of %d messages (truncated %v), want the last 64 at most", res.Scanned, n, res.Truncated)
	}
	// A match at the start: the window grows back to it.
	dl, err := rd.Runs(ctx, history.Query{Outcome: "deadletter", Function: "f"})
	if err != nil || len(dl.Records) != 1 || dl.Records[0].EventID != "e-0" || dl.Truncated {
		t.Errorf("the deadletter at the start: %+v, %v", dl, err)
	}
}
