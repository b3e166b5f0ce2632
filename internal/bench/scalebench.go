package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// scaleBenchConfig configures measureScale.
type scaleBenchConfig struct {
	// Client publishes the events and reads the function's consumer.
	Client *broker.Client
	// Worker is the consume settings of the function measured, as its
	// replicas derive them (its stream included). The function should be
	// idle: MeasureScale refuses a consumer with a backlog.
	Worker workers.Config
	// Params are its scaling settings (min forced to 0 for the cold start
	// and to 1 for the scale-up phase).
	Params scale.Params
	// Runtime runs the function's replicas.
	Runtime scale.Runtime
	// Events is the size of the bursts. Default 1000.
	Events int
	// Type of the published events. Default: the function's first exact
	// "type" filter.
	Type string
	// Source of the published events. Default "/fnmesh/bench".
	Source string
	// AckSubject, when set, is where replicas announce their first ack: an
	// empty message on "<AckSubject>.<replica id>". Without it the
	// scale-up reaction is measured to the new replica's start only.
	AckSubject string
	// PhaseTimeout bounds each phase. Default 2m.
	PhaseTimeout time.Duration
	// Log receives the scaler's decisions and the phases. Nil discards.
	Log *slog.Logger
}

// ScaleReport holds what the scale scenario measured.
type ScaleReport struct {
	// Function measured and Events per burst.
	Function string `json:"function"`
	Events   int    `json:"events"`
	// ColdStart is the time from publishing one event to a function at zero
	// replicas until that event is acknowledged.
	ColdStart time.Duration `json:"coldStart"`
	// ScaleUpStart is the time from the start of a burst to a function with
	// one replica until the runtime lists a second one.
	ScaleUpStart time.Duration `json:"scaleUpStart"`
	// ScaleUpFirstAck is the time from the start of that burst until a
	// replica started for it announced its first ack (zero without
	// AckSubject or when no announcement came).
	ScaleUpFirstAck time.Duration `json:"scaleUpFirstAck,omitempty"`
	// DrainScaled is the time from the start of that burst until every
	// event is acknowledged, with the scaler at work (from one replica).
	DrainScaled time.Duration `json:"drainScaled"`
	// MaxReplicas is the most replicas the scaler asked for during the burst.
	MaxReplicas int `json:"maxReplicas"`
	// DrainSingle is the time to acknowledge the same burst with one fixed replica.
	DrainSingle time.Duration `json:"drainSingle"`
	// IdleRSSKiB is the resident set (VmRSS) of the one replica left
	// running after the single-replica drain, idle for a second, in KiB
	// (0 where /proc cannot be read).
	IdleRSSKiB int `json:"idleRSSKiB,omitempty"`
}

// MarshalJSON writes the durations as strings ("1.5s"), as every JSON
// output of fnmesh does.
func (r ScaleReport) MarshalJSON() ([]byte, error) {
	opt := ""
	if r.ScaleUpFirstAck != 0 {
		opt = r.ScaleUpFirstAck.String()
	}
	return json.Marshal(struct {
		Function        string `json:"function"`
		Events          int    `json:"events"`
		ColdStart       string `json:"coldStart"`
		ScaleUpStart    string `json:"scaleUpStart"`
		ScaleUpFirstAck string `json:"scaleUpFirstAck,omitempty"`
		DrainScaled     string `json:"drainScaled"`
		MaxReplicas     int    `json:"maxReplicas"`
		DrainSingle     string `json:"drainSingle"`
		IdleRSSKiB      int    `json:"idleRSSKiB,omitempty"`
	}{r.Function, r.Events, r.ColdStart.String(), r.ScaleUpStart.String(), opt, r.DrainScaled.String(), r.MaxReplicas, r.DrainSingle.String(), r.IdleRSSKiB})
}

// Speedup is DrainSingle / DrainScaled.
func (r ScaleReport) Speedup() float64 {
	if r.DrainScaled <= 0 {
		return 0
	}
	return float64(r.DrainSingle) / float64(r.DrainScaled)
}

// String is a short multi-line summary.
func (r ScaleReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "function %s, %d events per burst\n", r.Function, r.Events)
	fmt.Fprintf(&b, "cold start (0 replicas, event -> ack):   %s\n", r.ColdStart.Round(time.Millisecond))
	fmt.Fprintf(&b, "scale-up (burst -> new replica started):  %s\n", r.ScaleUpStart.Round(time.Millisecond))
	if r.ScaleUpFirstAck > 0 {
		fmt.Fprintf(&b, "scale-up (burst -> new replica's 1st ack): %s\n", r.ScaleUpFirstAck.Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "drain, scaled (max %d replicas):          %s\n", r.MaxReplicas, r.DrainScaled.Round(time.Millisecond))
	fmt.Fprintf(&b, "drain, one replica:                       %s (speedup %.2fx)\n", r.DrainSingle.Round(time.Millisecond), r.Speedup())
	if r.IdleRSSKiB > 0 {
		fmt.Fprintf(&b, "idle replica resident set (VmRSS):        %s\n", formatKiB(r.IdleRSSKiB))
	}
	return b.String()
}

// measureScale measures how the scaler and a runtime react to load, in three
// phases on an idle function: a cold start from zero replicas, a burst of
// Events to one running replica with the scaler at work, and the same burst
// to one fixed replica. Acks are read from the consumer's ack floor through
// the JetStream API. The function is left at zero replicas.
func measureScale(ctx context.Context, cfg scaleBenchConfig) (ScaleReport, error) {
	b, err := newScaleBench(cfg)
	if err != nil {
		return ScaleReport{}, err
	}
	defer b.cleanup()
	rep := ScaleReport{Function: cfg.Worker.Function, Events: b.cfg.Events}
	if err := b.prepare(ctx); err != nil {
		return rep, err
	}
	if rep.ColdStart, err = b.coldStart(ctx); err != nil {
		return rep, err
	}
	if err := b.scaleUp(ctx, &rep); err != nil {
		return rep, err
	}
	if rep.DrainSingle, err = b.single(ctx); err != nil {
		return rep, err
	}
	// The replica that drained the burst, idle for a second.
	select {
	case <-ctx.Done():
		return rep, ctx.Err()
	case <-time.After(time.Second):
	}
	if rss := childRSS(os.Getpid()); len(rss) > 0 {
		rep.IdleRSSKiB = slices.Max(rss)
	}
	return rep, b.scaleTo(ctx, 0, b.cfg.PhaseTimeout)
}

// scaleBench is one run of measureScale.
type scaleBench struct {
	cfg    scaleBenchConfig
	fn     workers.Config
	stream string
	log    *slog.Logger
	src    *scale.BrokerBacklog
	acks   chan string // replica ids announcing their first ack
	sub    *nats.Subscription
	batch  atomic.Int64
}

func newScaleBench(cfg scaleBenchConfig) (*scaleBench, error) {
	if cfg.Client == nil || cfg.Runtime == nil {
		return nil, errors.New("measure scale: Client and Runtime are required")
	}
	f := cfg.Worker
	if f.Function == "" || f.Stream == "" {
		return nil, errors.New("measure scale: Worker: Function and Stream are required")
	}
	if cfg.Events <= 0 {
		cfg.Events = 1000
	}
	if cfg.Source == "" {
		cfg.Source = "/fnmesh/bench"
	}
	if cfg.PhaseTimeout <= 0 {
		cfg.PhaseTimeout = 2 * time.Minute
	}
	if cfg.Type == "" {
		for _, flt := range f.Filters {
			if t := flt.Exact["type"]; t != "" {
				cfg.Type = t
				break
			}
		}
	}
	if cfg.Type == "" {
		return nil, fmt.Errorf("measure scale: function %s: Type: required when the function has no exact type filter", f.Function)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src, err := scale.NewBrokerBacklog(cfg.Client, []workers.Config{f})
	if err != nil {
		return nil, fmt.Errorf("measure scale: %w", err)
	}
	src.WakeOn(cfg.Client.Conn()) // as `up` does: a cold start begins at the first event
	return &scaleBench{cfg: cfg, fn: f, stream: f.Stream, log: log, src: src, acks: make(chan string, 1024)}, nil
}

func (b *scaleBench) cleanup() {
	if b.sub != nil {
		_ = b.sub.Unsubscribe()
	}
}

// prepare ensures the consumer, checks it is idle, stops every replica and
// listens for ack announcements.
func (b *scaleBench) prepare(ctx context.Context) error {
	if err := b.src.EnsureConsumer(ctx, b.fn.Function); err != nil {
		return fmt.Errorf("measure scale: %w", err)
	}
	bl, err := b.src.Backlog(ctx, b.fn.Function)
	if err != nil {
		return fmt.Errorf("measure scale: %w", err)
	}
	if bl.Total() > 0 {
		return fmt.Errorf("measure scale: function %s has a backlog of %d events: measure an idle function", b.fn.Function, bl.Total())
	}
	if b.cfg.AckSubject != "" {
		b.sub, err = b.cfg.Client.Conn().Subscribe(b.cfg.AckSubject+".>", func(m *nats.Msg) {
			select {
			case b.acks <- strings.TrimPrefix(m.Subject, b.cfg.AckSubject+"."):
			default:
			}
		})
		if err != nil {
			return fmt.Errorf("measure scale: subscribe %s: %w", b.cfg.AckSubject, err)
		}
	}
	return b.scaleTo(ctx, 0, b.cfg.PhaseTimeout)
}

// runScaler runs a Scaler for the function with min replicas set to minR
// until the returned function is called. It returns after the first
// decision, so that what is measured next includes the wait for a poll.
func (b *scaleBench) runScaler(ctx context.Context, minR int, metrics func(scale.Decision)) (stop func()) {
	p := b.cfg.Params
	p.Min = minR
	first := make(chan struct{})
	var once sync.Once
	s, err := scale.New(b.src, b.cfg.Runtime, scale.Config{
		Functions: []scale.Function{{Name: b.fn.Function, Params: p}},
		Metrics: func(d scale.Decision) {
			once.Do(func() { close(first) })
			if metrics != nil {
				metrics(d)
			}
		},
	}, scale.WithLogger(b.log))
	if err != nil { // the scale scenario's settings pass the scaler's rules
		b.log.Error("measure scale: scaler", "err", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	select {
	case <-first:
	case <-ctx.Done():
	}
	return func() { cancel(); <-done }
}

// scaleTo sets the replica count and waits until exactly n replicas run
// and none is stopping.
func (b *scaleBench) scaleTo(ctx context.Context, n int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := b.cfg.Runtime.Scale(ctx, b.fn.Function, n); err != nil {
		return fmt.Errorf("measure scale: scale to %d: %w", n, err)
	}
	return b.poll(ctx, func() (bool, error) {
		reps, err := b.cfg.Runtime.List(ctx, b.fn.Function)
		if err != nil {
			return false, err
		}
		if len(reps) != n {
			return false, nil
		}
		for _, r := range reps {
			if r.State != scale.ReplicaRunning {
				return false, nil
			}
		}
		return true, nil
	})
}

// ackFloor is the consumer's ack floor (the consumer sequence up to which
// every delivery is acknowledged).
func (b *scaleBench) ackFloor(ctx context.Context) (uint64, error) {
	info, err := b.cfg.Client.ConsumerInfo(ctx, b.stream, workers.ConsumerName(b.fn.Function))
	if err != nil {
		return 0, fmt.Errorf("measure scale: %w", err)
	}
	return info.AckFloor.Consumer, nil
}

// waitAcked waits until the ack floor reaches floor and nothing is pending.
// Redeliveries raise the consumer sequence too, so the floor is a lower
// bound and the empty backlog the real condition.
func (b *scaleBench) waitAcked(ctx context.Context, floor uint64) error {
	return b.poll(ctx, func() (bool, error) {
		info, err := b.cfg.Client.ConsumerInfo(ctx, b.stream, workers.ConsumerName(b.fn.Function))
		if err != nil {
			return false, err
		}
		return info.AckFloor.Consumer >= floor && info.NumPending == 0 && info.NumAckPending == 0, nil
	})
}

// poll calls cond every 10ms until it is true, fails or ctx ends.
func (b *scaleBench) poll(ctx context.Context, cond func() (bool, error)) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("measure scale: %w", err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("measure scale: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// publish stores n events with 16 publishers in parallel.
func (b *scaleBench) publish(ctx context.Context, n int) error {
	batch := b.batch.Add(1)
	stamp := time.Now().UnixNano()
	_, err := countLoop(ctx, 16, n, func(ctx context.Context, i int) error {
		e := event.New()
		e.SetID(fmt.Sprintf("bench-%d-%d-%d", stamp, batch, i))
		e.SetType(b.cfg.Type)
		e.SetSource(b.cfg.Source)
		e.SetTime(time.Now())
		if _, err := b.cfg.Client.Publish(ctx, &e); err != nil {
			return fmt.Errorf("measure scale: publish: %w", err)
		}
		return nil
	}, &samples{}, nil)
	return err
}

// drainAcks forgets earlier announcements.
func (b *scaleBench) drainAcks() {
	for {
		select {
		case <-b.acks:
		default:
			return
		}
	}
}
