package scale

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DecideInput is what one scaling decision is made from.
type DecideInput struct {
	// Function is the function's name (copied into the Decision).
	Function string
	// Now is the time of the decision.
	Now time.Time
	// Current is the number of replicas the runtime runs (not stopping).
	Current int
	// Backlog is what the BacklogSource read; ignored when Err is set.
	Backlog Backlog
	// Err is the error of reading the backlog, if any.
	Err error
	// BelowSince is when the desired count first fell below Current without
	// rising again (zero when it is not below); carried from the previous
	// Decision.
	BelowSince time.Time
}

// Decision is the outcome of one scaling decision with its inputs.
type Decision struct {
	// Function the decision is about.
	Function string `json:"function"`
	// Time of the decision.
	Time time.Time `json:"time"`
	// From is the replica count before, To the count decided.
	From int `json:"from"`
	To   int `json:"to"`
	// Desired is ceil(backlog/lagThreshold) within [min, max] (after the
	// activation rule), before the cooldown holds a scale down back; on an
	// error it is the held count.
	Desired int `json:"desired"`
	// Reason says why To is what it is.
	Reason string `json:"reason"`
	// Backlog is Pending + AckPending as read (zero on an error).
	Backlog uint64 `json:"backlog"`
	// Pending and AckPending are the consumer's counts as read.
	Pending    uint64 `json:"pending"`
	AckPending uint64 `json:"ackPending"`
	// Params are the scaling settings used.
	Params Params `json:"params"`
	// Err is the backlog read error text when the count was held because of it.
	Err string `json:"error,omitempty"`
	// BelowSince is the cooldown state to carry into the next DecideInput.
	BelowSince time.Time `json:"belowSince,omitzero"`
}

// Changed reports whether the decision changes the replica count.
func (d Decision) Changed() bool { return d.From != d.To }

// String is a one-line summary: "2 -> 4 at 15:04:05: scale up (backlog 350)".
func (d Decision) String() string {
	if d.Time.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%d -> %d at %s: %s", d.From, d.To, d.Time.Format(time.TimeOnly), d.Reason)
}

// LogValue lists the decision and its inputs for slog.
func (d Decision) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("function", d.Function),
		slog.Int("from", d.From),
		slog.Int("to", d.To),
		slog.Int("desired", d.Desired),
		slog.String("reason", d.Reason),
		slog.Uint64("backlog", d.Backlog),
		slog.Uint64("pending", d.Pending),
		slog.Uint64("ack_pending", d.AckPending),
		slog.Int("min", d.Params.Min),
		slog.Int("max", d.Params.Max),
		slog.Int("lag_threshold", d.Params.LagThreshold),
		slog.Int("activation", d.Params.Activation),
		slog.Duration("cooldown", d.Params.Cooldown),
	}
	if d.Err != "" {
		attrs = append(attrs, slog.String("error", d.Err))
	}
	return slog.GroupValue(attrs...)
}

// Decide computes the replica count of one function from valid Params. It
// is a pure function of its arguments:
//
//   - desired = ceil(backlog / lagThreshold), where backlog = Pending +
//     AckPending, clamped to [Min, Max], and to Cap when set (Min still
//     wins);
//   - a function at zero replicas starts only when backlog > Activation;
//   - scaling up is immediate; scaling down happens only once the desired
//     count has stayed below the current one for Cooldown and no event was
//     delivered or acknowledged for Cooldown (Backlog.LastActive; a count
//     above Max, after Max was lowered, comes down to Max at once);
//   - when the backlog cannot be read (missing consumer, broker
//     unreachable) the current count is kept (clamped to [Min, Max]) and
//     the reason says why; the cooldown restarts afterwards.
func Decide(p Params, in DecideInput) Decision {
	d := Decision{Function: in.Function, Time: in.Now, From: in.Current, Params: p}
	if in.Err != nil {
		d.Err = in.Err.Error()
		d.To = min(max(in.Current, p.Min), p.Max)
		d.Desired = d.To
		d.Reason = "hold: " + holdReason(in.Err)
		return d
	}
	d.Pending, d.AckPending = in.Backlog.Pending, in.Backlog.AckPending
	d.Backlog = in.Backlog.Total()
	desired := ceilDiv(d.Backlog, uint64(p.LagThreshold))
	activating := in.Current == 0 && d.Backlog <= uint64(p.Activation)
	if activating {
		desired = 0
	}
	if p.Cap > 0 {
		desired = min(desired, uint64(p.Cap))
	}
	d.Desired = int(min(max(desired, uint64(p.Min)), uint64(p.Max)))

	switch {
	case d.Desired > in.Current:
		d.To = d.Desired
		d.Reason = fmt.Sprintf("scale up: backlog %d needs %d", d.Backlog, d.Desired)
		if in.Current == 0 && p.Min == 0 {
			d.Reason = fmt.Sprintf("activate: backlog %d > activation %d, needs %d", d.Backlog, p.Activation, d.Desired)
		}
	case d.Desired == in.Current:
		d.To = in.Current
		d.Reason = fmt.Sprintf("steady: backlog %d", d.Backlog)
		if activating && d.Backlog > 0 {
			d.Reason = fmt.Sprintf("idle: backlog %d <= activation %d", d.Backlog, p.Activation)
		}
	case in.Current > p.Max && d.Desired == p.Max:
		// Max is a hard cap (it may have been lowered since the replicas started).
		d.To = p.Max
		d.Reason = fmt.Sprintf("scale down to max %d: backlog %d", p.Max, d.Backlog)
	default:
		below := in.BelowSince
		if below.IsZero() || below.After(in.Now) {
			below = in.Now
		}
		// The cooldown also counts from the last delivery or ack: a poll
		// that falls between two events of a steady trickle sees no
		// backlog, yet the function is busy.
		if la := in.Backlog.LastActive; la.After(below) {
			below = in.Now
			if la.Before(in.Now) {
				below = la
			}
		}
		if waited := in.Now.Sub(below); waited >= p.Cooldown {
			d.To = d.Desired
			d.Reason = fmt.Sprintf("scale down: backlog %d below target for %s", d.Backlog, waited.Round(time.Millisecond))
			return d
		}
		// Down to max at once; the rest of the way waits for the cooldown.
		d.To = min(in.Current, p.Max)
		d.BelowSince = below
		d.Reason = fmt.Sprintf("cooldown: backlog %d wants %d, scale down in %s", d.Backlog, d.Desired,
			(p.Cooldown - in.Now.Sub(below)).Round(time.Millisecond))
		if d.To < in.Current {
			d.Reason = fmt.Sprintf("scale down to max %d; %s", p.Max, d.Reason)
		}
	}
	return d
}

// holdReason names why the backlog could not be read.
func holdReason(err error) string {
	switch {
	case errors.Is(err, ErrConsumerMissing):
		return "consumer missing: " + err.Error()
	case errors.Is(err, ErrBacklogUnavailable):
		return "broker unreachable: " + err.Error()
	default:
		return "backlog unknown: " + err.Error()
	}
}

// ceilDiv is ceil(a/b) for b > 0.
func ceilDiv(a, b uint64) uint64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}
