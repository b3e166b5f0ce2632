package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
)

// ExtReplayOf is set on an event Replay sends again: "<stream>/<seq>" of
// the original. ExtReplayTraceParent carries the original's W3C
// traceparent (Replay's and Redrive's), so the new delivery links to the
// first trace (telemetry's Deliver adds the span link).
const (
	ExtReplayOf          = "replayof"
	ExtReplayTraceParent = "replaytraceparent"
)

// ReplaySpec says which stored events Replay sends again, and to whom.
type ReplaySpec struct {
	// Stream to read.
	Stream string
	// Subjects narrow the read (server-side); empty reads every subject.
	Subjects []string
	// Since and Until bound the time the events were stored (Until
	// exclusive; zero = no bound).
	Since, Until time.Time
	// Match, when set, must return true for an event to be sent.
	Match func(*event.Event) bool
	// Function is the only function that handles the copies
	// (ExtRedriveFunction).
	Function string
	// DryRun counts what would be sent, sending nothing.
	DryRun bool
	// Progress, when set, is called after each event sent (or counted).
	Progress func(n int)
}

// Replay publishes again the events of spec stored up to the end of the
// stream as it was at the call, each on its own subject with a fresh
// de-duplication id and ExtRedriveFunction naming spec.Function, so the
// other functions acknowledge the copy without handling it. Messages that
// are not valid CloudEvents are skipped. It returns how many were sent
// (or, dry, would be).
func (c *Client) Replay(ctx context.Context, spec ReplaySpec) (int, error) {
	if spec.Function == "" {
		return 0, fmt.Errorf("broker: replay: a function is required")
	}
	s, err := c.js.Stream(ctx, spec.Stream)
	if err != nil {
		return 0, fmt.Errorf("broker: replay: stream %s: %w", spec.Stream, c.classify(spec.Stream, err))
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: spec.Subjects}
	if !spec.Since.IsZero() {
		since := spec.Since
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	n := 0
	err = readOrdered(ctx, s, s.CachedInfo().State, occ, func(msg jetstream.Msg, md *jetstream.MsgMetadata) (bool, error) {
		seq := md.Sequence.Stream
		if !spec.Until.IsZero() && !md.Timestamp.Before(spec.Until) {
			return false, nil
		}
		e, derr := DecodeMsg(msg.Headers(), msg.Data())
		if derr != nil || (spec.Match != nil && !spec.Match(e)) {
			return true, nil
		}
		if !spec.DryRun {
			cp := e.Clone()
			_ = cp.Context.SetExtension(ExtRedriveFunction, spec.Function)
			_ = cp.Context.SetExtension(ExtReplayOf, fmt.Sprintf("%s/%d", spec.Stream, seq))
			if tp := msg.Headers().Get("traceparent"); tp != "" {
				_ = cp.Context.SetExtension(ExtReplayTraceParent, tp)
			}
			msgID := fmt.Sprintf("replay-%s-%d-%d", spec.Stream, seq, time.Now().UnixNano())
			if _, err := c.PublishTo(ctx, msg.Subject(), &cp, msgID); err != nil {
				return false, fmt.Errorf("%s/%d: %w", spec.Stream, seq, err)
			}
		}
		n++
		if spec.Progress != nil {
			spec.Progress(n)
		}
		return true, nil
	})
	if err != nil {
		return n, fmt.Errorf("broker: replay: %w", err)
	}
	return n, nil
}
