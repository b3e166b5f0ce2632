package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers"
)

// runIngestBatch measures POST /events with batches of cfg.Batch events
// (FnMesh) against posting the same events one by one in binary mode
// (Baseline), both through the real ingest handler on one broker, rounds
// interleaved. Rates are events per second; latencies are per request.
// Batches of up to broker.MaxAtomicBatch are stored atomically, larger
// ones with ?atomic=false (fast batch publish).
func runIngestBatch(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{
		Scenario: Ingest,
		FnMesh:   Measure{Name: fmt.Sprintf("fnmesh ingest, batches of %d", cfg.Batch)},
		Baseline: Measure{Name: "fnmesh ingest, one by one"},
	}
	data, ctype := payload(cfg.Size)
	m := e.mesh()
	client, err := e.client(ctx, "fnmesh-bench-ingest-batch", m)
	if err != nil {
		return res, err
	}
	if err := e.ensureMesh(ctx, client, m); err != nil {
		return res, err
	}
	// Room for the largest batch: each event is its data plus ~150 bytes.
	maxBody := max(triggers.DefaultMaxBodyBytes, int64(cfg.Batch)*int64(cfg.Size+512))
	ingest, err := triggers.NewIngest(triggers.IngestConfig{
		MaxInFlight:  max(triggers.DefaultMaxInFlight, 2*cfg.Concurrency),
		MaxBodyBytes: maxBody,
	}, client, triggers.WithLogger(e.log))
	if err != nil {
		return res, err
	}
	url, stop, err := serve("fnmesh", ingest)
	if err != nil {
		return res, err
	}
	defer stop()
	batchURL := url
	if cfg.Batch > broker.MaxAtomicBatch {
		batchURL += "?" + triggers.AtomicParam + "=false"
	}

	tr := &http.Transport{MaxIdleConns: 2 * cfg.Concurrency, MaxIdleConnsPerHost: 2 * cfg.Concurrency, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	var seq atomic.Uint64
	one := func(ctx context.Context) error {
		return post(ctx, hc, url, data, func(h http.Header) {
			h["Content-Type"] = []string{ctype}
			h["Ce-Specversion"] = []string{"1.0"}
			h["Ce-Id"] = []string{strconv.FormatUint(seq.Add(1), 10)}
			h["Ce-Source"] = []string{"/fnmesh/bench"}
			h["Ce-Type"] = []string{benchType}
		})
	}
	// The same data as the single events: a JSON object, or letters only
	// (a JSON string) below 8 bytes.
	dataJSON := string(data)
	if ctype != "application/json" {
		dataJSON = `"` + dataJSON + `"`
	}
	tail := []byte(`","source":"/fnmesh/bench","type":"` + benchType + `","datacontenttype":"` + ctype + `","data":` + dataJSON + `}`)
	batch := func(ctx context.Context) error {
		var b bytes.Buffer
		b.Grow(cfg.Batch * (len(tail) + 48))
		b.WriteByte('[')
		first := seq.Add(uint64(cfg.Batch)) - uint64(cfg.Batch) + 1
		for i := range uint64(cfg.Batch) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"specversion":"1.0","id":"`)
			b.WriteString(strconv.FormatUint(first+i, 10))
			b.Write(tail)
		}
		b.WriteByte(']')
		return post(ctx, hc, batchURL, b.Bytes(), func(h http.Header) { h["Content-Type"] = []string{triggers.MediaTypeBatch} })
	}

	per := cfg.Duration / ingestRounds
	sides := []struct {
		name   string
		op     func(context.Context) error
		events int64
		m      *Measure
		lat    samples
		n      int64
		t      time.Duration
		cpu    cpuMeter
	}{
		{name: "one-by-one", op: one, events: 1, m: &res.Baseline},
		{name: "batches", op: batch, events: int64(cfg.Batch), m: &res.FnMesh},
	}
	for round := range ingestRounds {
		for i := range sides {
			s := &sides[i]
			prog := startProgress(cfg.Progress, fmt.Sprintf("ingest %s %d/%d", s.name, round+1, ingestRounds), 0, per)
			var n int64
			var took time.Duration
			err := doLabelled(ctx, s.name, func(ctx context.Context) error {
				var err error
				n, took, err = closedLoop(ctx, cfg.Concurrency, ingestWarmup, per, s.op, &s.lat, prog, &s.cpu)
				return err
			})
			prog.finish()
			if err != nil {
				return res, fmt.Errorf("ingest %s: %w", s.name, err)
			}
			s.n += n * s.events
			s.t += took
		}
	}
	for i := range sides {
		s := &sides[i]
		s.m.setRate(s.n, s.t)
		s.m.CPUUsPerEvent = s.cpu.perEvent(s.n)
		s.m.setLatency(&s.lat)
	}
	return res, nil
}
