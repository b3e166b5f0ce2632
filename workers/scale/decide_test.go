package scale_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

func TestParamsWithDefaults(t *testing.T) {
	defaults := scale.Params{Min: 0, Max: scale.DefaultMaxReplicaCount, LagThreshold: scale.DefaultLagThreshold,
		Cooldown: scale.DefaultCooldownPeriod, PollingInterval: scale.DefaultPollingInterval}
	tests := []struct {
		name string
		in   scale.Params
		want scale.Params
	}{
		{name: "empty takes the documented defaults", want: defaults},
		{
			name: "explicit values are kept",
			in:   scale.Params{Min: 2, Max: 5, LagThreshold: 7, Activation: 3, Cooldown: time.Second, PollingInterval: 200 * time.Millisecond},
			want: scale.Params{Min: 2, Max: 5, LagThreshold: 7, Activation: 3, Cooldown: time.Second, PollingInterval: 200 * time.Millisecond},
		},
		{
			name: "min above the default max raises max",
			in:   scale.Params{Min: 12},
			want: scale.Params{Min: 12, Max: 12, LagThreshold: scale.DefaultLagThreshold,
				Cooldown: scale.DefaultCooldownPeriod, PollingInterval: scale.DefaultPollingInterval},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.WithDefaults()
			if got != tt.want {
				t.Errorf("WithDefaults = %+v, want %+v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate = %v", err)
			}
		})
	}
}

// TestParamsValidate: settings the mesh validation rejects never reach
// Decide; the scaler refuses them, naming each setting.
func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		in   scale.Params
		want []string
	}{
		{"max below min", scale.Params{Min: 4, Max: 2}, []string{"minReplicaCount: must not be greater than maxReplicaCount (2)"}},
		{"negative values", scale.Params{Min: -1, Max: -3, LagThreshold: -5, Activation: -2}, []string{
			"minReplicaCount: must not be negative", "maxReplicaCount: must be at least 1",
			"lagThreshold: must be at least 1", "activationLagThreshold: must not be negative",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.WithDefaults().Validate()
			if !errors.Is(err, scale.ErrInvalidParams) {
				t.Fatalf("err = %v, want ErrInvalidParams", err)
			}
			fes := workers.FieldErrors(err)
			got := make([]string, len(fes))
			for i, fe := range fes {
				got[i] = fe.Error()
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("errors = %q, want %q", got, tt.want)
			}
		})
	}
	_, err := scale.New(fixedBacklog{}, newCountRuntime(nil), scale.Config{Functions: []scale.Function{{Name: "f", Params: scale.Params{Min: 4, Max: 2}}}})
	if !errors.Is(err, scale.ErrInvalidParams) || !strings.Contains(err.Error(), `function "f"`) {
		t.Errorf("New with invalid params = %v", err)
	}
}

func TestDecide(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	p := scale.Params{Min: 0, Max: 4, LagThreshold: 100, Activation: 5, Cooldown: 30 * time.Second, PollingInterval: time.Second}
	withMin := p
	withMin.Min = 2
	noActivation := p
	noActivation.Activation = 0
	missing := fmt.Errorf("function f: %w: consumer not found", scale.ErrConsumerMissing)
	down := fmt.Errorf("function f: %w: connection reconnecting", scale.ErrBacklogUnavailable)
	capped := p
	capped.Cap = 2
	cappedMin := withMin
	cappedMin.Cap = 1

	tests := []struct {
		name       string
		params     scale.Params
		current    int
		pending    uint64
		ackPending uint64
		err        error
		belowSince time.Time
		lastActive time.Time
		wantTo     int
		wantBelow  time.Time // zero: not carried
		wantReason string    // prefix
	}{
		// activation
		{name: "zero stays zero with no backlog", params: p, current: 0, wantTo: 0, wantReason: "steady"},
		{name: "zero stays zero at the activation threshold", params: p, current: 0, pending: 5, wantTo: 0, wantReason: "idle"},
		{name: "zero activates above the threshold", params: p, current: 0, pending: 6, wantTo: 1, wantReason: "activate"},
		{name: "ack pending counts toward activation", params: p, current: 0, pending: 3, ackPending: 3, wantTo: 1, wantReason: "activate"},
		{name: "activation 0: one event starts a replica", params: noActivation, current: 0, pending: 1, wantTo: 1, wantReason: "activate"},
		{name: "activation goes straight to the desired count", params: p, current: 0, pending: 350, wantTo: 4, wantReason: "activate"},
		{name: "cap bounds the desired count below max", params: capped, current: 1, pending: 350, wantTo: 2, wantReason: "scale up"},
		{name: "min wins over cap", params: cappedMin, current: 2, pending: 350, wantTo: 2, wantReason: "steady"},
		{name: "activation applies only from zero", params: p, current: 1, pending: 3, wantTo: 1, wantReason: "steady"},

		// desired = ceil(backlog/lag), clamped
		{name: "exact multiple", params: p, current: 1, pending: 200, wantTo: 2, wantReason: "scale up"},
		{name: "rounds up", params: p, current: 1, pending: 201, wantTo: 3, wantReason: "scale up"},
		{name: "pending plus ack pending", params: p, current: 1, pending: 150, ackPending: 60, wantTo: 3, wantReason: "scale up"},
		{name: "clamped to max", params: p, current: 2, pending: 100000, wantTo: 4, wantReason: "scale up"},
		{name: "clamped to min with no backlog", params: withMin, current: 0, wantTo: 2, wantReason: "scale up"},
		{name: "min holds with no backlog", params: withMin, current: 2, wantTo: 2, wantReason: "steady"},
		{name: "above max comes down to max at once", params: p, current: 6, pending: 1000, wantTo: 4, wantReason: "scale down to max 4: backlog 1000"},

		// cooldown
		{name: "scale down starts the cooldown", params: p, current: 3, pending: 50, wantTo: 3, wantBelow: t0, wantReason: "cooldown"},
		{name: "still cooling down", params: p, current: 3, pending: 50, belowSince: t0.Add(-29 * time.Second), wantTo: 3, wantBelow: t0.Add(-29 * time.Second), wantReason: "cooldown"},
		{name: "cooldown elapsed", params: p, current: 3, pending: 50, belowSince: t0.Add(-30 * time.Second), wantTo: 1, wantReason: "scale down"},
		{name: "cooldown elapsed to zero", params: p, current: 3, belowSince: t0.Add(-time.Minute), wantTo: 0, wantReason: "scale down"},
		{name: "cooldown elapsed to min", params: withMin, current: 4, belowSince: t0.Add(-time.Minute), wantTo: 2, wantReason: "scale down"},
		{name: "in-flight work keeps a replica", params: p, current: 2, ackPending: 1, belowSince: t0.Add(-time.Minute), wantTo: 1, wantReason: "scale down"},
		{name: "backlog back at target resets the cooldown", params: p, current: 2, pending: 200, belowSince: t0.Add(-29 * time.Second), wantTo: 2, wantReason: "steady"},
		{name: "scale up is immediate and resets the cooldown", params: p, current: 2, pending: 300, belowSince: t0.Add(-29 * time.Second), wantTo: 3, wantReason: "scale up"},
		{name: "above max comes to max at once, the rest after cooldown", params: p, current: 6, pending: 150, wantTo: 4, wantBelow: t0, wantReason: "scale down to max 4; cooldown"},
		{name: "a recent delivery holds the cooldown", params: p, current: 1, belowSince: t0.Add(-time.Minute), lastActive: t0.Add(-10 * time.Second), wantTo: 1, wantBelow: t0.Add(-10 * time.Second), wantReason: "cooldown"},
		{name: "cooldown counts from the last delivery", params: p, current: 1, belowSince: t0.Add(-time.Minute), lastActive: t0.Add(-30 * time.Second), wantTo: 0, wantReason: "scale down"},
		{name: "an old delivery leaves the cooldown as it is", params: p, current: 1, belowSince: t0.Add(-10 * time.Second), lastActive: t0.Add(-time.Hour), wantTo: 1, wantBelow: t0.Add(-10 * time.Second), wantReason: "cooldown"},
		{name: "a delivery stamped in the future counts as now", params: p, current: 1, lastActive: t0.Add(time.Hour), wantTo: 1, wantBelow: t0, wantReason: "cooldown"},
		{name: "a cooldown start in the future restarts now", params: p, current: 2, belowSince: t0.Add(time.Hour), wantTo: 2, wantBelow: t0, wantReason: "cooldown"},

		// backlog unknown: hold
		{name: "missing consumer holds the count", params: p, current: 3, err: missing, wantTo: 3, wantReason: "hold: consumer missing"},
		{name: "missing consumer holds zero", params: p, current: 0, err: missing, wantTo: 0, wantReason: "hold: consumer missing"},
		{name: "broker down holds the count", params: p, current: 2, err: down, wantTo: 2, wantReason: "hold: broker unreachable"},
		{name: "broker down never jumps to max", params: p, current: 1, pending: 100000, err: down, wantTo: 1, wantReason: "hold: broker unreachable"},
		{name: "broker down ends the cooldown", params: p, current: 3, err: down, belowSince: t0.Add(-29 * time.Second), wantTo: 3, wantReason: "hold: broker unreachable"},
		{name: "hold keeps within min", params: withMin, current: 0, err: down, wantTo: 2, wantReason: "hold: broker unreachable"},
		{name: "hold keeps within max", params: p, current: 7, err: missing, wantTo: 4, wantReason: "hold: consumer missing"},
		{name: "other errors hold too", params: p, current: 2, err: errors.New("boom"), wantTo: 2, wantReason: "hold: backlog unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := scale.Decide(tt.params, scale.DecideInput{
				Function: "f", Now: t0, Current: tt.current,
				Backlog:    scale.Backlog{Pending: tt.pending, AckPending: tt.ackPending, LastActive: tt.lastActive},
				Err:        tt.err,
				BelowSince: tt.belowSince,
			})
			if d.To != tt.wantTo {
				t.Errorf("To = %d, want %d (decision %+v)", d.To, tt.wantTo, d)
			}
			if d.From != tt.current || d.Function != "f" || !d.Time.Equal(t0) {
				t.Errorf("decision does not carry its inputs: %+v", d)
			}
			if !d.BelowSince.Equal(tt.wantBelow) {
				t.Errorf("BelowSince = %v, want %v", d.BelowSince, tt.wantBelow)
			}
			if !strings.HasPrefix(d.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want prefix %q", d.Reason, tt.wantReason)
			}
			if tt.err != nil {
				if d.Err != tt.err.Error() || !strings.Contains(d.Reason, tt.err.Error()) {
					t.Errorf("decision does not report the error: Err %q, Reason %q", d.Err, d.Reason)
				}
			} else if d.Backlog != tt.pending+tt.ackPending || d.Pending != tt.pending || d.AckPending != tt.ackPending {
				t.Errorf("backlog inputs not recorded: %+v", d)
			}
		})
	}
}

// TestDecideCooldownSequence carries the cooldown state from decision to
// decision the way the Scaler does.
func TestDecideCooldownSequence(t *testing.T) {
	p := scale.Params{Min: 0, Max: 10, LagThreshold: 10, Cooldown: 3 * time.Second, PollingInterval: time.Second}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// At 4s the backlog is back at target: the cooldown that began at 2s
	// restarts at 5s and ends at 8s.
	backlogs := []uint64{0, 95, 80, 40, 100, 30, 20, 10, 0, 0, 0, 0}
	want := []int{0, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0}
	current := 0
	var below time.Time
	for i, b := range backlogs {
		d := scale.Decide(p, scale.DecideInput{Function: "f", Now: t0.Add(time.Duration(i) * time.Second), Current: current,
			Backlog: scale.Backlog{Pending: b}, BelowSince: below})
		if d.To != want[i] {
			t.Fatalf("step %d (backlog %d): %d -> %d, want %d (%s)", i, b, current, d.To, want[i], d.Reason)
		}
		current, below = d.To, d.BelowSince
	}
}

func TestDecisionString(t *testing.T) {
	if got := (scale.Decision{}).String(); got != "-" {
		t.Errorf("zero Decision String = %q, want -", got)
	}
	d := scale.Decision{From: 1, To: 3, Time: time.Date(2025, 1, 1, 15, 4, 5, 0, time.UTC), Reason: "scale up: backlog 250 needs 3"}
	if got, want := d.String(), "1 -> 3 at 15:04:05: scale up: backlog 250 needs 3"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// FuzzDecide checks Decide's invariants for any settings the scaler accepts
// (Validate): no panic, the count within [min, max], no start from zero at
// or below the activation threshold, no scale down before the cooldown.
func FuzzDecide(f *testing.F) {
	f.Add(0, 10, 100, 0, int64(30), 0, uint64(0), uint64(0), int64(0), false)
	f.Add(0, 4, 100, 5, int64(2), 0, uint64(2000), uint64(3), int64(0), false)
	f.Add(1, 3, 1, 0, int64(0), 5, uint64(1), uint64(0), int64(10), true)
	f.Add(-1, -1, -1, -1, int64(-1), -1, ^uint64(0), ^uint64(0), int64(-5), false)
	f.Fuzz(func(t *testing.T, minR, maxR, lag, act int, cooldownSec int64, current int, pending, ackPending uint64, belowAgoSec int64, fail bool) {
		p := scale.Params{Min: minR, Max: maxR, LagThreshold: lag, Activation: act,
			Cooldown: time.Duration(cooldownSec%100000) * time.Second}.WithDefaults()
		if p.Validate() != nil {
			return // New refuses these; Decide never sees them
		}
		current = max(current%1000, 0)
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var below time.Time
		if belowAgoSec != 0 {
			below = now.Add(-time.Duration(belowAgoSec%100000) * time.Second)
		}
		in := scale.DecideInput{Function: "f", Now: now, Current: current,
			Backlog: scale.Backlog{Pending: pending, AckPending: ackPending}, BelowSince: below}
		if fail {
			in.Err = scale.ErrBacklogUnavailable
		}
		d := scale.Decide(p, in)
		if d.To < p.Min || d.To > p.Max {
			t.Fatalf("To %d outside [%d, %d]", d.To, p.Min, p.Max)
		}
		if fail {
			if want := min(max(current, p.Min), p.Max); d.To != want {
				t.Fatalf("on error To = %d, want held %d", d.To, want)
			}
			return
		}
		if current == 0 && p.Min == 0 && d.Backlog <= uint64(p.Activation) && d.To != 0 {
			t.Fatalf("started from zero with backlog %d <= activation %d", d.Backlog, p.Activation)
		}
		if d.To < current && current <= p.Max && (below.IsZero() || below.After(now) || now.Sub(below) < p.Cooldown) {
			t.Fatalf("scaled down %d -> %d before the cooldown", current, d.To)
		}
		if d.To > current && d.BelowSince != (time.Time{}) {
			t.Fatalf("scale up kept a cooldown start")
		}
	})
}
