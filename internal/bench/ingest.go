package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fnmesh/fnmesh/triggers"
)

// ingestRounds is how many times the two sides alternate; each round
// measures Duration/ingestRounds per side, so slow drift of the machine
// affects both alike.
const ingestRounds = 4

// ingestWarmup is the untimed start of each round (connections, buffers).
const ingestWarmup = 300 * time.Millisecond

// runIngest measures the ingest handler against a publish-only handler.
func runIngest(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{
		Scenario: Ingest,
		FnMesh:   Measure{Name: "fnmesh ingest (triggers.Ingest)"},
		Baseline: Measure{Name: "publish-only net/http handler"},
	}
	body, ctype := payload(cfg.Size)

	// fnmesh: the real handler with a broker client, as `fnmesh up` serves it.
	m := e.mesh()
	client, err := e.client(ctx, "fnmesh-bench-ingest", m)
	if err != nil {
		return res, err
	}
	if err := e.ensureMesh(ctx, client, m); err != nil {
		return res, err
	}
	ingest, err := triggers.NewIngest(triggers.IngestConfig{
		MaxInFlight: max(triggers.DefaultMaxInFlight, 2*cfg.Concurrency),
	}, client, triggers.WithLogger(e.log))
	if err != nil {
		return res, err
	}
	fnURL, stopFn, err := serve("fnmesh", ingest)
	if err != nil {
		return res, err
	}
	defer stopFn()

	// Baseline: read the body, js.Publish it, wait for the PubAck.
	_, subject, err := e.rawStream(ctx, "ingest")
	if err != nil {
		return res, err
	}
	js, err := e.jetStream(ctx, "fnmesh-bench-ingest-baseline")
	if err != nil {
		return res, err
	}
	baseURL, stopBase, err := serve("baseline", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, err := js.Publish(r.Context(), subject, b); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	if err != nil {
		return res, err
	}
	defer stopBase()

	tr := &http.Transport{
		MaxIdleConns:        2 * cfg.Concurrency,
		MaxIdleConnsPerHost: 2 * cfg.Concurrency,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	// Both sides get the same requests, binary-mode events: the baseline
	// is what taking that request and storing its body costs, so the
	// HTTP client's and server's work on the ce-* headers is on both
	// sides.
	var seq atomic.Uint64
	binary := func(h http.Header) {
		h["Content-Type"] = []string{ctype}
		h["Ce-Specversion"] = []string{"1.0"}
		h["Ce-Id"] = []string{strconv.FormatUint(seq.Add(1), 10)}
		h["Ce-Source"] = []string{"/fnmesh/bench"}
		h["Ce-Type"] = []string{benchType}
	}
	fnPost := func(ctx context.Context) error { return post(ctx, hc, fnURL, body, binary) }
	basePost := func(ctx context.Context) error { return post(ctx, hc, baseURL, body, binary) }

	per := cfg.Duration / ingestRounds
	var fnLat, baseLat samples
	var fnN, baseN int64
	var fnT, baseT time.Duration
	var fnCPU, baseCPU cpuMeter
	for round := range ingestRounds {
		for _, side := range []struct {
			name string
			op   func(context.Context) error
			lat  *samples
			n    *int64
			t    *time.Duration
			cpu  *cpuMeter
		}{
			{"baseline", basePost, &baseLat, &baseN, &baseT, &baseCPU},
			{"fnmesh", fnPost, &fnLat, &fnN, &fnT, &fnCPU},
		} {
			prog := startProgress(cfg.Progress, fmt.Sprintf("ingest %s %d/%d", side.name, round+1, ingestRounds), 0, per)
			var n int64
			var took time.Duration
			err := doLabelled(ctx, side.name, func(ctx context.Context) error {
				var err error
				n, took, err = closedLoop(ctx, cfg.Concurrency, ingestWarmup, per, side.op, side.lat, prog, side.cpu)
				return err
			})
			prog.finish()
			if err != nil {
				return res, fmt.Errorf("ingest %s: %w", side.name, err)
			}
			*side.n += n
			*side.t += took
		}
	}
	for _, s := range []struct {
		m   *Measure
		n   int64
		t   time.Duration
		lat *samples
		cpu *cpuMeter
	}{{&res.FnMesh, fnN, fnT, &fnLat, &fnCPU}, {&res.Baseline, baseN, baseT, &baseLat, &baseCPU}} {
		s.m.setRate(s.n, s.t)
		s.m.CPUUsPerEvent = s.cpu.perEvent(s.n)
		s.m.setLatency(s.lat)
	}
	return res, nil
}

// serve runs h on a loopback listener and returns its URL and a stop
// function. The connections' goroutines carry the pprof label side.
func serve(side string, h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("bench: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Serve fails only with the listener; the requests then fail and say so.
		pprof.Do(context.Background(), pprof.Labels("side", side), func(context.Context) { _ = srv.Serve(ln) })
	}()
	return "http://" + ln.Addr().String() + "/events", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// post sends one request and wants 202 Accepted.
func post(ctx context.Context, hc *http.Client, url string, body []byte, header func(http.Header)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	header(req.Header)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}

// doLabelled runs f with the pprof label side=<side>, so a CPU profile of
// a run can be split by side (go tool pprof -tagfocus side=fnmesh).
func doLabelled(ctx context.Context, side string, f func(context.Context) error) error {
	var err error
	pprof.Do(ctx, pprof.Labels("side", side), func(ctx context.Context) { err = f(ctx) })
	return err
}
