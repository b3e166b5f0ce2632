package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one scenario measured.
type Result struct {
	// Scenario is the scenario's name.
	Scenario string `json:"scenario"`
	// Params are the settings the run used.
	Params Params `json:"params"`
	// FnMesh is the measured side, Baseline the plain nats.go side.
	FnMesh   Measure `json:"fnmesh"`
	Baseline Measure `json:"baseline"`
	// BaselineConfirmed is the pipeline baseline with every ack confirmed
	// by the server (DoubleAck), Concurrency in flight per connection
	// (consume figures only: the events are the baseline's); fnmesh's own
	// acks are not confirmed.
	BaselineConfirmed *Measure `json:"baseline_confirmed,omitempty"`
	// BaselineWindowed is the pipeline baseline held to the window a
	// worker keeps: Consume+Ack with PullMaxMessages = Concurrency per
	// connection (consume figures only), so no message waits in the
	// client beyond the handler slots.
	BaselineWindowed *Measure `json:"baseline_windowed,omitempty"`
	// FnMeshHistory is the fnmesh side with the run history recorded
	// (pipeline --history).
	FnMeshHistory *Measure `json:"fnmesh_history,omitempty"`
	// HistoryRatio is FnMeshHistory.Rate / FnMesh.Rate.
	HistoryRatio float64 `json:"history_ratio,omitempty"`
	// Ratio is FnMesh.Rate / Baseline.Rate (higher is better for fnmesh).
	Ratio float64 `json:"ratio"`
	// RatioConfirmed is FnMesh.Rate / BaselineConfirmed.Rate.
	RatioConfirmed float64 `json:"ratio_confirmed,omitempty"`
	// RatioWindowed is FnMesh.Rate / BaselineWindowed.Rate, and
	// WindowedRatio BaselineWindowed.Rate / Baseline.Rate: what holding
	// the window costs nats.go itself.
	RatioWindowed float64 `json:"ratio_windowed,omitempty"`
	WindowedRatio float64 `json:"windowed_ratio,omitempty"`
	// P50DeltaMs is FnMesh.P50Ms - Baseline.P50Ms and P99Ratio is
	// FnMesh.P99Ms / Baseline.P99Ms (latency scenario).
	P50DeltaMs float64 `json:"p50_delta_ms,omitempty"`
	P99Ratio   float64 `json:"p99_ratio,omitempty"`
	// CPURatio is FnMesh.CPUUsPerEvent / Baseline.CPUUsPerEvent (lower is
	// better for fnmesh).
	CPURatio float64 `json:"cpu_ratio"`
	// Early counts the events of the delay scenario delivered before
	// their deliverat (not counted in the lateness figures).
	Early int64 `json:"early,omitempty"`
	// Scale holds the scale scenario's report.
	Scale *ScaleReport `json:"scale,omitempty"`
	// RateLimit holds the ratelimit scenario's report.
	RateLimit *RateLimitReport `json:"ratelimit,omitempty"`
	// Machine is where it ran.
	Machine Machine `json:"machine"`
}

// Params are the settings of a run, as reported.
type Params struct {
	// Count of events (pipeline, scale).
	Count int `json:"count,omitempty"`
	// Size of the payloads in bytes.
	Size int `json:"size"`
	// Duration measured per side (ingest, latency), as a Go duration.
	Duration string `json:"duration,omitempty"`
	// Concurrency: clients, publishers, events in flight per replica.
	Concurrency int `json:"concurrency"`
	// Replicas per side, or the most the scaler may start (scale).
	Replicas int `json:"replicas"`
	// Rate of publishing in events per second (latency).
	Rate int `json:"rate,omitempty"`
	// Work per event of the scale scenario's handler, as a Go duration.
	Work string `json:"work,omitempty"`
	// Batch is the events per request of ingest --batch.
	Batch int `json:"batch,omitempty"`
	// Broker is "embedded" or "external".
	Broker string `json:"broker"`
}

// Measure is one side of a scenario.
type Measure struct {
	// Name says what was measured ("fnmesh ingest", "nats.go publish-only handler", ...).
	Name string `json:"name"`
	// Count of requests or events measured, Seconds they took.
	Count   int64   `json:"count"`
	Seconds float64 `json:"seconds"`
	// Rate is the scenario's figure of merit per second: requests (ingest),
	// consumed events (pipeline), handled events (latency), drained events
	// (scale).
	Rate float64 `json:"rate"`
	// PublishRate is the rate of the publish phase (pipeline).
	PublishRate float64 `json:"publish_rate,omitempty"`
	// Latency percentiles in milliseconds: of the request (ingest), of the
	// publish round trip (pipeline), publish to handler (latency).
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// CPUUsPerEvent is the process's CPU time (user plus system, the
	// embedded broker and reaped children included) per counted event or
	// request, in microseconds, over the phase Rate measures.
	CPUUsPerEvent float64 `json:"cpu_us_per_event"`
	// PublishCPUUsPerEvent is the same over the publish phase (pipeline).
	PublishCPUUsPerEvent float64 `json:"publish_cpu_us_per_event,omitempty"`
	// WritesPerEvent is the write system calls of the process (broker and
	// clients, Linux only) per consumed event over the phase Rate measures
	// (pipeline).
	WritesPerEvent float64 `json:"writes_per_event,omitempty"`
	// HistoryLost is the run records the replicas' recorders dropped or
	// could not store (pipeline with --history): a recorder never blocks
	// the worker, so a history side that lost records measured less
	// work than it should have.
	HistoryLost uint64 `json:"history_lost,omitempty"`
}

// setLatency copies the percentiles of s into m, to the microsecond.
func (m *Measure) setLatency(s *samples) {
	p := s.percentiles()
	m.P50Ms, m.P90Ms, m.P99Ms, m.MaxMs = round3(p.p50), round3(p.p90), round3(p.p99), round3(p.max)
}

// setRate sets Count, Seconds and Rate from n events in d.
func (m *Measure) setRate(n int64, d time.Duration) {
	m.Count, m.Seconds, m.Rate = n, round3(d.Seconds()), round1(perSecond(n, d))
}

// finish computes the ratios from the two sides.
func (r *Result) finish() {
	r.Ratio = ratio(r.FnMesh.Rate, r.Baseline.Rate)
	r.CPURatio = ratio(r.FnMesh.CPUUsPerEvent, r.Baseline.CPUUsPerEvent)
	if r.BaselineConfirmed != nil {
		r.RatioConfirmed = ratio(r.FnMesh.Rate, r.BaselineConfirmed.Rate)
	}
	if r.BaselineWindowed != nil {
		r.RatioWindowed = ratio(r.FnMesh.Rate, r.BaselineWindowed.Rate)
		r.WindowedRatio = ratio(r.BaselineWindowed.Rate, r.Baseline.Rate)
	}
	if r.FnMeshHistory != nil {
		r.HistoryRatio = ratio(r.FnMeshHistory.Rate, r.FnMesh.Rate)
	}
	if r.Scenario == Latency {
		r.P50DeltaMs = round3(r.FnMesh.P50Ms - r.Baseline.P50Ms)
		r.P99Ratio = ratio(r.FnMesh.P99Ms, r.Baseline.P99Ms)
	}
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return round3(a / b)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// WriteText writes r as a short report with a table.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", r.Scenario, r.describe())
	fmt.Fprintf(&b, "machine: %s\n\n", r.Machine)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	unit := map[string]string{Ingest: "req/s", Pipeline: "events/s", Latency: "events/s", Scale: "events/s", Delay: "events/s", RateLimit: "starts/s"}[r.Scenario]
	if r.Scenario == Ingest && r.Params.Batch > 0 {
		unit = "events/s"
	}
	if rl := r.RateLimit; rl != nil {
		fmt.Fprintf(&b, "most handler starts in any %s window: %d (limit %d/s, allowed +10%%: %d, held: %t); backlog %d, run twice %d, failed %d\n\n",
			RateLimitWindow, rl.MaxInWindow, rl.Limit, rl.Allowed, rl.Held, rl.Backlog, rl.Duplicates, rl.Failed)
	}
	if r.Scenario == Delay {
		head := "lateness: p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d events, %d early)\n\n"
		fmt.Fprintf(&b, head, r.FnMesh.P50Ms, r.FnMesh.P99Ms, r.FnMesh.MaxMs, r.FnMesh.Count, r.Early)
	}
	pub := r.Scenario == Pipeline
	lat := r.Scenario != Scale
	head := "\t" + unit
	if pub {
		head += "\tpublish/s"
	}
	if lat {
		head += "\tp50 ms\tp90 ms\tp99 ms\tmax ms"
	}
	head += "\tcpu µs/ev"
	if pub {
		head += "\tpublish cpu µs/ev\twrites/ev"
	}
	fmt.Fprintln(tw, head+"\t")
	rows := []Measure{r.Baseline}
	if r.BaselineConfirmed != nil {
		rows = append(rows, *r.BaselineConfirmed)
	}
	if r.BaselineWindowed != nil {
		rows = append(rows, *r.BaselineWindowed)
	}
	rows = append(rows, r.FnMesh)
	if r.FnMeshHistory != nil {
		rows = append(rows, *r.FnMeshHistory)
	}
	width := 0
	for _, m := range rows {
		width = max(width, len(m.Name))
	}
	for _, m := range rows {
		row := m.Name + strings.Repeat(" ", width-len(m.Name)) + "\t" + formatRate(m.Rate)
		if pub {
			row += "\t" + orDash(formatRate(m.PublishRate), m.PublishRate)
		}
		for _, v := range []float64{m.P50Ms, m.P90Ms, m.P99Ms, m.MaxMs} {
			if lat {
				row += "\t" + orDash(fmt.Sprintf("%.3f", v), v)
			}
		}
		row += "\t" + orDash(fmt.Sprintf("%.1f", m.CPUUsPerEvent), m.CPUUsPerEvent)
		if pub {
			row += "\t" + orDash(fmt.Sprintf("%.1f", m.PublishCPUUsPerEvent), m.PublishCPUUsPerEvent)
			row += "\t" + orDash(fmt.Sprintf("%.2f", m.WritesPerEvent), m.WritesPerEvent)
		}
		fmt.Fprintln(tw, row+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nratio fnmesh/baseline: %.2fx   cpu per event fnmesh/baseline: %.2fx", r.Ratio, r.CPURatio)
	if r.BaselineConfirmed != nil {
		fmt.Fprintf(&b, "   fnmesh/confirmed acks: %.2fx", r.RatioConfirmed)
	}
	if r.BaselineWindowed != nil {
		fmt.Fprintf(&b, "\nwindow = concurrency: nats.go windowed/default %.2fx   fnmesh/windowed: %.2fx", r.WindowedRatio, r.RatioWindowed)
	}
	if r.FnMeshHistory != nil {
		fmt.Fprintf(&b, "   history on/off: %.2fx", r.HistoryRatio)
		if n := r.FnMeshHistory.HistoryLost; n > 0 {
			fmt.Fprintf(&b, " (%d run records lost: the recorders' buffer or window was full)", n)
		}
	}
	if r.Scenario == Latency {
		fmt.Fprintf(&b, "   p50 delta: %+.3f ms   p99 ratio: %.2fx", r.P50DeltaMs, r.P99Ratio)
	}
	b.WriteString("\n")
	if r.Scale != nil {
		b.WriteString("\n")
		b.WriteString(r.Scale.String())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describe is the settings in words.
func (r *Result) describe() string {
	p := r.Params
	switch r.Scenario {
	case Ingest:
		if p.Batch > 0 {
			return fmt.Sprintf("%d clients, %s per side, %d B data, batches of %d vs one by one, %s broker", p.Concurrency, p.Duration, p.Size, p.Batch, p.Broker)
		}
		return fmt.Sprintf("%d clients, %s per side, %d B bodies, %s broker", p.Concurrency, p.Duration, p.Size, p.Broker)
	case Delay:
		return fmt.Sprintf("%d events scheduled with deliverat over %s, %d B, %s broker; latency columns are lateness", p.Count, p.Duration, p.Size, p.Broker)
	case Pipeline:
		return fmt.Sprintf("%d events of %d B, %d publishers, %d replica(s) x concurrency %d, %s broker",
			p.Count, p.Size, p.Concurrency, p.Replicas, p.Concurrency, p.Broker)
	case RateLimit:
		return fmt.Sprintf("rateLimit %d/s, %s, %d replica(s) on their own connections x concurrency %d, %d B, %s broker",
			p.Rate, p.Duration, p.Replicas, p.Concurrency, p.Size, p.Broker)
	case Latency:
		return fmt.Sprintf("%d events/s for %s, %d B, %d replica(s) x concurrency %d, %s broker",
			p.Rate, p.Duration, p.Size, p.Replicas, p.Concurrency, p.Broker)
	default:
		return fmt.Sprintf("bursts of %d events, %s of work each, concurrency %d, up to %d replicas, %s broker",
			p.Count, p.Work, p.Concurrency, p.Replicas, p.Broker)
	}
}

// orDash is s, or "-" when v is zero (not measured).
func orDash(s string, v float64) string {
	if v == 0 {
		return "-"
	}
	return s
}

// formatRate writes a rate with thousands separators.
func formatRate(v float64) string {
	n := int64(math.Round(v))
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// params reports cfg for scenario.
func params(scenario string, cfg Config) Params {
	p := Params{Size: cfg.Size, Concurrency: cfg.Concurrency, Replicas: cfg.Replicas, Broker: "embedded"}
	if cfg.NATS.URL != "" {
		p.Broker = "external"
	}
	switch scenario {
	case Ingest:
		p.Duration, p.Batch = cfg.Duration.String(), cfg.Batch
	case Delay:
		p.Count, p.Duration = cfg.Count, cfg.Duration.String()
	case RateLimit:
		p.Duration, p.Rate = cfg.Duration.String(), cfg.Rate
	case Pipeline:
		p.Count = cfg.Count
	case Latency:
		p.Duration, p.Rate = cfg.Duration.String(), cfg.Rate
	case Scale:
		p.Count, p.Work = cfg.Count, cfg.Work.String()
	}
	return p
}
