package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bounds of a Query.
const (
	// DefaultLimit is how many records a query returns when it says none.
	DefaultLimit = 100
	// MaxLimit is the most records a query returns.
	MaxLimit = 10000
	// DefaultMaxScan is how many history messages (batches of records) a
	// query reads at most before it answers with what it found
	// (Result.Truncated).
	DefaultMaxScan = 20000
	// tailMessages is how many of the last history messages a query for
	// the newest records reads first (doubled until they hold enough).
	tailMessages = 64
)

// Query selects records. Zero fields select everything.
type Query struct {
	// Function selects by subject (server-side), Outcome by the record.
	Function, Outcome string
	// EventID selects the records of one event.
	EventID string
	// Since and Until bound the attempt's start time (Until exclusive).
	Since, Until time.Time
	// Limit is the most records returned: the newest that match, in time
	// order. Default DefaultLimit, at most MaxLimit.
	Limit int
	// AfterSeq returns only records stored after this history sequence
	// (for tailing: pass the last HistorySeq seen).
	AfterSeq uint64
}

// Result is what a query found.
type Result struct {
	// Records in the order they were stored (oldest first).
	Records []Record `json:"runs"`
	// LastSeq is the last history sequence read (pass it as AfterSeq to
	// continue).
	LastSeq uint64 `json:"lastSeq"`
	// Truncated is true when the scan stopped at its bound before the end.
	Truncated bool `json:"truncated,omitempty"`
	// Scanned is how many history messages the query read.
	Scanned int `json:"-"`
}

// Reader answers queries over the history stream.
type Reader struct {
	cfg     Config
	js      jetstream.JetStream
	maxScan int
}

// NewReader reads the history stream of cfg over nc.
func NewReader(nc *nats.Conn, cfg Config) (*Reader, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return &Reader{cfg: cfg.WithDefaults(), js: js, maxScan: DefaultMaxScan}, nil
}

// Runs returns the newest records that match q, oldest first.
func (r *Reader) Runs(ctx context.Context, q Query) (Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	res := Result{LastSeq: q.AfterSeq}
	s, err := r.js.Stream(ctx, r.cfg.Stream)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return res, nil // nothing recorded yet
		}
		return res, fmt.Errorf("history: stream %s: %w", r.cfg.Stream, err)
	}
	st := s.CachedInfo().State
	if st.Msgs == 0 || st.LastSeq <= q.AfterSeq {
		return res, nil
	}
	last := st.LastSeq
	if q.AfterSeq > 0 || !q.Since.IsZero() || q.EventID != "" {
		return r.scan(ctx, s, q, limit, 0, last) // forward from where asked
	}
	// The newest matches: the last n messages, n doubling until they hold
	// limit matches, reach the first message or the scan bound.
	for n := uint64(tailMessages); ; n *= 2 {
		n = min(n, uint64(r.maxScan))
		from := st.FirstSeq
		if last-st.FirstSeq >= n {
			from = last - n + 1
		}
		res, err := r.scan(ctx, s, q, limit, from, last)
		if err != nil || len(res.Records) >= limit || from == st.FirstSeq || res.Truncated {
			return res, err
		}
		if n == uint64(r.maxScan) {
			res.Truncated = true // older messages may hold more
			return res, nil
		}
	}
}

// scan reads the messages of q's subjects from sequence from (0: where q
// says) up to last and keeps the newest limit records that match.
func (r *Reader) scan(ctx context.Context, s jetstream.Stream, q Query, limit int, from, last uint64) (Result, error) {
	res := Result{LastSeq: q.AfterSeq}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: r.cfg.Subjects(q.Function)}
	var needle []byte // in every line that can match: skips decoding the others
	if q.EventID != "" {
		if q.Function == "" {
			occ.FilterSubjects = r.cfg.eventSubjects(q.EventID)
		}
		if plainASCII(q.EventID) {
			needle = appendField(nil, "eventId", q.EventID)
		}
	}
	switch {
	case from > 0:
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	case q.AfterSeq > 0:
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, q.AfterSeq+1
	case !q.Since.IsZero():
		since := q.Since
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := s.OrderedConsumer(ctx, occ)
	if err != nil {
		return res, fmt.Errorf("history: %w", err)
	}
	ring := make([]Record, 0, min(limit, 1024))
	start, scanned := 0, 0 // ring holds the newest matches from start
	keep := func(rec Record) {
		if len(ring) < limit {
			ring = append(ring, rec)
			return
		}
		ring[start] = rec
		start = (start + 1) % limit
	}
	done := false
	for !done {
		batch, err := cons.FetchNoWait(512)
		if err != nil {
			return res, fmt.Errorf("history: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return res, fmt.Errorf("history: %w", err)
			}
			seq := md.Sequence.Stream
			if seq > last {
				done = true
				break
			}
			res.LastSeq = seq
			scanned++
			eachRecord(msg.Data(), needle, func(rec Record) {
				if q.matches(rec) {
					rec.HistorySeq = seq
					keep(rec)
				}
			})
			if seq == last || md.NumPending == 0 {
				done = true
				break
			}
			if !q.Until.IsZero() && md.Timestamp.After(q.Until.Add(time.Minute)) {
				done = true // stored a minute past the range: no later start can be in it
				break
			}
			if scanned >= r.maxScan {
				res.Truncated, done = true, true
				break
			}
		}
		if err := batch.Error(); err != nil && !done {
			return res, fmt.Errorf("history: %w", err)
		}
		if n == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	res.Records = append(ring[start:len(ring):len(ring)], ring[:start]...)
	res.Scanned = scanned
	return res, nil
}

func (q Query) matches(rec Record) bool {
	switch {
	case q.Function != "" && rec.Function != q.Function:
		return false
	case q.Outcome != "" && rec.Outcome != q.Outcome:
		return false
	case q.EventID != "" && rec.EventID != q.EventID:
		return false
	case !q.Since.IsZero() && rec.Time.Before(q.Since):
		return false
	case !q.Until.IsZero() && !rec.Time.Before(q.Until):
		return false
	}
	return true
}

// plainASCII is true when every encoder of records writes s the same way
// (no byte encoding/json escapes as HTML or replaces).
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
