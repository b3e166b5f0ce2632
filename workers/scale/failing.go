package scale

import (
	"context"
	"log/slog"
	"time"
)

// Bounds of the delay between attempts to start a function whose runtime
// failed: it doubles on each failure.
const (
	StartBackoffMin = time.Second
	StartBackoffMax = time.Minute
)

// Function states in FunctionStatus.State.
const (
	// StateOK: the runtime starts the function's replicas as asked.
	StateOK = "ok"
	// StateFailing: the runtime could not start them (Failing says why and
	// when the next attempt is); its events wait in the stream untouched.
	StateFailing = "failing"
)

// Checker is implemented by a Runtime that can tell, without starting
// anything, whether a function's replicas can start (its command is found,
// its image is present). The Scaler checks every function when Run begins
// and, while a function is failing, before each retry that has no replica
// to start.
type Checker interface {
	// Check returns why fn cannot start (wrapping ErrNotRunnable where the
	// declaration is at fault), nil when it can as far as can be told.
	Check(ctx context.Context, fn string) error
}

// Failing is why a function's replicas cannot start and when the Scaler
// tries again.
type Failing struct {
	// Error is the runtime's last error: it names the function, the field
	// and the reason.
	Error string `json:"error"`
	// Since is the first failure of this spell.
	Since time.Time `json:"since"`
	// Attempts counts the failed attempts of this spell.
	Attempts int `json:"attempts"`
	// NextAttempt is when the Scaler tries again.
	NextAttempt time.Time `json:"nextAttempt"`
}

// startBackoff is the delay after the n-th failed attempt (n >= 1).
func startBackoff(n int) time.Duration {
	d := StartBackoffMin
	for i := 1; i < n && d < StartBackoffMax; i++ {
		d *= 2
	}
	return min(d, StartBackoffMax)
}

// fail records a failed attempt to start f and logs it once per attempt
// (attempts are spaced by the backoff): an ERROR for the first, then
// warnings.
func (s *Scaler) fail(f *scaledFunction, err error) {
	now := s.now()
	s.mu.Lock()
	fl := f.failing
	if fl == nil {
		fl = &Failing{Since: now}
		f.failing = fl
	}
	fl.Attempts++
	fl.Error = err.Error()
	fl.NextAttempt = now.Add(startBackoff(fl.Attempts))
	cp := *fl
	s.mu.Unlock()
	// One ERROR when the spell begins; the retries, spaced by the backoff,
	// are warnings.
	level := slog.LevelWarn
	if cp.Attempts == 1 {
		level = slog.LevelError
	}
	s.log.Log(context.Background(), level, "scaler: function cannot start; its events wait in the stream", "function", f.name,
		"err", err, "attempt", cp.Attempts, "next_attempt_in", cp.NextAttempt.Sub(now))
}

// recovered ends f's failing spell, if any.
func (s *Scaler) recovered(f *scaledFunction) {
	s.mu.Lock()
	fl := f.failing
	f.failing = nil
	s.mu.Unlock()
	if fl != nil {
		s.log.Info("scaler: function starts again", "function", f.name, "failed_attempts", fl.Attempts, "failing_for", s.now().Sub(fl.Since).Round(time.Millisecond))
	}
}

// failingNow returns f's failing state and whether its next attempt is due.
func (s *Scaler) failingNow(f *scaledFunction) (*Failing, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.failing == nil {
		return nil, true
	}
	return f.failing, !s.now().Before(f.failing.NextAttempt)
}

// check asks a Checker runtime whether f can start.
func (s *Scaler) check(ctx context.Context, f *scaledFunction) (checked bool, err error) {
	c, ok := s.rt.(Checker)
	if !ok {
		return false, nil
	}
	return true, c.Check(ctx, f.name)
}
