package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Config is what a Scaler sizes and how it reports.
type Config struct {
	// Functions are the functions to scale, with their settings. Names must
	// be unique and not empty; Params take their defaults and must then be
	// valid.
	Functions []Function
	// Now is the clock decisions are stamped and timed with. Default time.Now.
	Now func() time.Time
	// Metrics, when set, is called with every decision (e.g. to export the
	// desired and actual counts). It must not block.
	Metrics func(Decision)
}

// Function is one function a Scaler sizes.
type Function struct {
	// Name of the function (the name a Runtime and a BacklogSource know).
	Name string
	// Params are its scaling settings.
	Params Params
	// Flow describes its flow settings (rate limit, ordering, batch) for
	// the status; empty when none is set.
	Flow string
}

// FunctionStatus is what the Scaler knows about one function.
type FunctionStatus struct {
	// Function is the function's name.
	Function string `json:"function"`
	// Flow describes the function's flow settings ("rate 100/1s",
	// "ordered by subject", "batch 100/200ms"); empty when none is set.
	Flow string `json:"flow,omitempty"`
	// Backlog is Pending + AckPending at the last poll.
	Backlog uint64 `json:"backlog"`
	// Pending is the number of events not yet delivered.
	Pending uint64 `json:"pending"`
	// AckPending is the number of events delivered and not yet acknowledged.
	AckPending uint64 `json:"ackPending"`
	// Desired is the replica count the last decision asked for (on a
	// cluster, of all nodes together).
	Desired int `json:"desired"`
	// Actual is the number of replicas that run, not stopping (on a
	// cluster, on all nodes together as last reported).
	Actual int `json:"actual"`
	// NodeDesired is this node's share of Desired (see Share); Desired
	// without a cluster.
	NodeDesired int `json:"nodeDesired"`
	// NodeActual is the number of replicas this node's runtime runs.
	NodeActual int `json:"nodeActual"`
	// Error says why the count is held or could not be applied (missing
	// consumer, broker unreachable, runtime failure); empty when all is well.
	Error string `json:"error,omitempty"`
	// State is StateOK, or StateFailing while the runtime cannot start the
	// function's replicas.
	State string `json:"state"`
	// Failing says why and when the next attempt is, while State is
	// StateFailing.
	Failing *Failing `json:"failing,omitempty"`
	// LastDecision is the decision of the last poll.
	LastDecision Decision `json:"lastDecision"`
	// LastScale is the last decision that changed the count.
	LastScale Decision `json:"lastScale,omitzero"`
}

// Scaler sizes the replicas of functions by their backlog. It polls each
// function every scaling.pollingInterval, decides with Decide and applies
// the count through a Runtime.
type Scaler struct {
	src     BacklogSource
	rt      Runtime
	log     *slog.Logger
	now     func() time.Time
	metrics func(Decision)
	peers   Peers
	fns     []*scaledFunction

	running sync.Mutex // held by Run

	// applyMu orders applying counts with StopAll.
	applyMu sync.Mutex
	stopped bool

	mu sync.Mutex // guards the status and cooldown state of fns
}

// scaledFunction is the Scaler's state for one function.
type scaledFunction struct {
	name    string
	params  Params
	ensured bool // only touched by the function's poll goroutine

	// guarded by Scaler.mu
	belowSince time.Time
	status     FunctionStatus
	failing    *Failing // nil unless the runtime failed to start it
}

// New scales cfg.Functions, reading backlogs from src and applying counts
// through rt. It applies the defaults, then the options, then checks the
// configuration (errors name the function and setting).
func New(src BacklogSource, rt Runtime, cfg Config, opts ...Option) (*Scaler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	o := ApplyOptions(opts)
	var errs []error
	if src == nil {
		errs = append(errs, errors.New("scaler: backlog source is nil"))
	}
	if rt == nil {
		errs = append(errs, errors.New("scaler: runtime is nil"))
	}
	s := &Scaler{src: src, rt: rt, log: o.Log, now: cfg.Now, metrics: cfg.Metrics, peers: o.Peers}
	seen := map[string]bool{}
	for i, fn := range cfg.Functions {
		p := fn.Params.WithDefaults()
		if fn.Name == "" || seen[fn.Name] {
			errs = append(errs, fmt.Errorf("scaler: functions[%d]: name %q: must be set and unique: %w", i, fn.Name, ErrInvalidParams))
		}
		seen[fn.Name] = true
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("scaler: function %q: %w", fn.Name, err))
		}
		s.fns = append(s.fns, &scaledFunction{name: fn.Name, params: p, status: FunctionStatus{Function: fn.Name, Flow: fn.Flow}})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Run polls every function until ctx ends, then returns nil. It stops no
// replica on the way out: callers that want the functions gone call StopAll.
// Run must not be called twice at the same time.
func (s *Scaler) Run(ctx context.Context) error {
	if !s.running.TryLock() {
		return errors.New("scaler: already running")
	}
	defer s.running.Unlock()
	// Say at once what cannot start, rather than at the first event.
	for _, f := range s.fns {
		if checked, err := s.check(ctx, f); checked && err != nil && ctx.Err() == nil {
			s.fail(f, err)
		}
	}
	var wg sync.WaitGroup
	for _, f := range s.fns {
		wg.Go(func() { s.loop(ctx, f) })
	}
	wg.Wait()
	return nil
}

func (s *Scaler) loop(ctx context.Context, f *scaledFunction) {
	t := time.NewTicker(f.params.PollingInterval)
	defer t.Stop()
	waker, _ := s.src.(Waker)
	var disarm func()
	defer func() {
		if disarm != nil {
			disarm()
		}
	}()
	wake := make(chan struct{}, 1)
	for {
		s.poll(ctx, f)
		if waker != nil {
			// At zero, the first event wakes the loop (see Waker).
			switch idle := s.idle(f); {
			case idle && disarm == nil:
				stop, err := waker.Arm(f.name, func() {
					select {
					case wake <- struct{}{}:
					default:
					}
				})
				if err != nil {
					s.log.Debug("scaler: cannot watch for the first event; the ticks will find it", "function", f.name, "err", err)
				}
				disarm = stop
			case !idle && disarm != nil:
				disarm()
				disarm = nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
			if disarm != nil { // nil when a poll disarmed it after it fired
				disarm() // it fired: the subscription has ended
				disarm = nil
			}
			// The event reached the subscription as the stream stored
			// it; the consumer may count it a moment later.
			for range wakePolls {
				if s.poll(ctx, f); !s.idle(f) || ctx.Err() != nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(wakePause):
				}
			}
		}
	}
}

// wakePolls polls, wakePause apart, follow a wake until the event is
// counted; the ticks go on after them.
const (
	wakePolls = 4
	wakePause = 25 * time.Millisecond
)

// idle reports whether f runs no replica and wants none.
func (s *Scaler) idle(f *scaledFunction) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.status.Desired == 0 && f.status.Actual == 0 && f.status.Error == ""
}

// pollTimeout bounds one backlog read: a poll that waits on a dead broker
// must not stall the function's status for long.
func pollTimeout(interval time.Duration) time.Duration {
	return min(max(2*interval, time.Second), 5*time.Second)
}

// poll reads the backlog and the replicas of f, decides and applies.
func (s *Scaler) poll(ctx context.Context, f *scaledFunction) {
	if ctx.Err() != nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, pollTimeout(f.params.PollingInterval))
	defer cancel()
	if e, ok := s.src.(ConsumerEnsurer); ok && !f.ensured {
		if err := e.EnsureConsumer(rctx, f.name); err == nil {
			f.ensured = true
		} else {
			s.log.Debug("scaler: consumer not ensured yet", "function", f.name, "err", err)
		}
	}
	reps, err := s.rt.List(rctx, f.name)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s.setError(f, fmt.Sprintf("runtime: list replicas: %v", err))
		s.log.Warn("scaler: cannot list replicas", "function", f.name, "err", err)
		return
	}
	bl, berr := s.src.Backlog(rctx, f.name)
	if ctx.Err() != nil {
		return // a read cut short by shutdown says nothing about the broker
	}

	// The decision is about the total of every node; this node runs its
	// share of it (all of it without peers).
	local := activeReplicas(reps)
	index, nodes := s.place()
	current := local + s.others(f.name)

	s.mu.Lock()
	prevErr := f.status.LastDecision.Err
	d := Decide(f.params, DecideInput{
		Function: f.name, Now: s.now(), Current: current,
		Backlog: bl, Err: berr, BelowSince: f.belowSince,
	})
	f.belowSince = d.BelowSince
	s.mu.Unlock()

	want := Share(d.To, index, nodes)
	var applyErr error
	if fl, due := s.failingNow(f); due {
		// A failing function is tried again only when its backoff is over:
		// by starting what is wanted, or by a check when nothing is.
		err, tried := s.apply(ctx, f.name, local, want), want != local
		if !tried && fl != nil {
			tried, err = s.check(rctx, f)
		}
		switch {
		case ctx.Err() != nil:
		case err != nil:
			applyErr = err
			s.fail(f, err)
		case tried:
			s.recovered(f)
		}
	}

	s.mu.Lock()
	st := &f.status
	st.Desired, st.Actual, st.LastDecision = d.To, d.From, d
	st.NodeDesired, st.NodeActual = want, local
	st.Backlog, st.Pending, st.AckPending = d.Backlog, d.Pending, d.AckPending
	st.Error = d.Err
	if d.Changed() {
		st.LastScale = d
	}
	if want != local && applyErr == nil {
		st.Actual, st.NodeActual = current-local+want, want
	}
	if applyErr != nil {
		st.Error = fmt.Sprintf("runtime: scale to %d: %v", want, applyErr)
	}
	st.State, st.Failing = StateOK, nil
	if f.failing != nil {
		fl := *f.failing
		st.State, st.Failing = StateFailing, &fl
		if st.Error == "" {
			st.Error = "runtime: " + fl.Error
		}
		st.Actual, st.NodeActual = current, local
	}
	s.mu.Unlock()

	if f.failing != nil && d.Err == "" {
		// The failure is logged at each attempt; the decisions between
		// attempts would repeat it every poll.
		s.log.Debug("scaler: decision while failing", "decision", d)
	} else {
		s.logDecision(d, prevErr)
	}
	if want != local && !d.Changed() && applyErr == nil && f.failing == nil {
		s.log.Info("scaler: node share", "function", f.name, "from", local, "to", want, "total", d.To, "node", index, "nodes", nodes)
	}
	if s.metrics != nil {
		s.metrics(d)
	}
}

// apply asks the runtime to run want replicas of fn instead of have,
// unless StopAll ran.
func (s *Scaler) apply(ctx context.Context, fn string, have, want int) error {
	if want == have {
		return nil
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.stopped {
		return nil
	}
	return s.rt.Scale(ctx, fn, want)
}

func (s *Scaler) logDecision(d Decision, prevErr string) {
	switch {
	case d.Err != "" && prevErr == "":
		s.log.Warn("scaler: backlog unreadable, holding replica count", "decision", d)
	case d.Err == "" && prevErr != "":
		s.log.Info("scaler: backlog readable again", "decision", d)
	case d.Changed():
		s.log.Info("scaler: scale", "decision", d)
	default:
		s.log.Debug("scaler: decision", "decision", d)
	}
}

func (s *Scaler) setError(f *scaledFunction, msg string) {
	s.mu.Lock()
	f.status.Error = msg
	s.mu.Unlock()
}

// Status returns the state of every function, in the order given to New.
func (s *Scaler) Status() []FunctionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FunctionStatus, len(s.fns))
	for i, f := range s.fns {
		out[i] = f.status
	}
	return out
}

// StopAll scales every function to zero and waits until their replicas have
// exited or ctx ends. Once it is called the Scaler applies no further count
// (a Run still polling only updates the status).
func (s *Scaler) StopAll(ctx context.Context) error {
	s.applyMu.Lock()
	s.stopped = true
	var errs []error
	for _, f := range s.fns {
		if err := s.rt.Scale(ctx, f.name, 0); err != nil {
			errs = append(errs, fmt.Errorf("scaler: stop %s: %w", f.name, err))
		}
	}
	s.applyMu.Unlock()

	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for _, f := range s.fns {
		for {
			reps, err := s.rt.List(ctx, f.name)
			if err != nil {
				errs = append(errs, fmt.Errorf("scaler: stop %s: %w", f.name, err))
				break
			}
			if len(reps) == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return errors.Join(append(errs, fmt.Errorf("scaler: stop %s: %d replicas left: %w", f.name, len(reps), ctx.Err()))...)
			case <-t.C:
			}
		}
	}
	return errors.Join(errs...)
}
