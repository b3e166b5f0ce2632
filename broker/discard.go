package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Discard is what a stream at one of its limits (MaxMsgs, MaxBytes,
// MaxMsgsPerSubject) does with a new message.
type Discard string

// Discard policies.
const (
	// DiscardNew refuses the new message: the publisher learns it
	// (ErrStreamFull) and no stored event is lost. With the limits
	// retention fnmesh uses, acknowledging does not make room: a full
	// stream takes events again as old ones expire (MaxAge) or are
	// removed.
	DiscardNew Discard = "new"
	// DiscardOld removes the oldest message to make room, whether every
	// function processed it or not: a ring buffer.
	DiscardOld Discard = "old"
)

// ErrStreamFull means a discard-new stream is at a limit and refused the
// message (answer 429 with Retry-After). It comes with ErrRejected.
var ErrStreamFull = errors.New("stream is full")

// CheckDiscard reports a policy other than old or new ("" is the default).
func CheckDiscard(d Discard) error {
	switch d {
	case "", DiscardOld, DiscardNew:
		return nil
	}
	return fmt.Errorf("must be one of %s, %s", DiscardOld, DiscardNew)
}

// HasLimits reports whether s caps its messages by count or size, the
// limits Discard applies to (MaxAge removes old messages either way).
func (s StreamSpec) HasLimits() bool {
	return s.MaxMsgs > 0 || s.MaxBytes > 0 || s.MaxMsgsPerSubject > 0
}

// DefaultDiscard is the policy of a new stream declared without one:
// DiscardNew when it has limits, so that reaching them refuses events
// rather than dropping stored ones; DiscardOld otherwise (no limit, no
// difference).
func (s StreamSpec) DefaultDiscard() Discard {
	if s.HasLimits() {
		return DiscardNew
	}
	return DiscardOld
}

// jetstream maps d onto JetStream's policy.
func (d Discard) jetstream() jetstream.DiscardPolicy {
	if d == DiscardNew {
		return jetstream.DiscardNew
	}
	return jetstream.DiscardOld
}

// discardOf is the policy of an existing stream's configuration.
func discardOf(p jetstream.DiscardPolicy) Discard {
	if p == jetstream.DiscardNew {
		return DiscardNew
	}
	return DiscardOld
}

// resolveDiscard is the policy EnsureStreams gives s: its own when set;
// else what the existing stream has (a change made by hand stays), else
// the default for a new stream.
func (c *Client) resolveDiscard(ctx context.Context, s StreamSpec) (Discard, error) {
	if s.Discard != "" {
		return s.Discard, nil
	}
	st, err := c.js.Stream(ctx, s.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return s.DefaultDiscard(), nil
	case err != nil:
		return "", err
	}
	d := discardOf(st.CachedInfo().Config.Discard)
	if d == DiscardOld && s.HasLimits() {
		c.log.Warn("stream is discard old with limits: an event can be removed before every function processed it; set discard: new to refuse new events instead, or discard: old to keep this",
			"stream", s.Name, "maxMsgs", s.MaxMsgs, "maxBytes", s.MaxBytes, "maxMsgsPerSubject", s.MaxMsgsPerSubject)
	}
	return d, nil
}

// errCodeStoreFailed is the server's JSStreamStoreFailedF: storing a
// message failed, the description says why.
const errCodeStoreFailed jetstream.ErrorCode = 10077

// isStreamFull reports whether the server refused a message because a
// discard-new stream is at a limit.
func isStreamFull(apiErr *jetstream.APIError) bool {
	if apiErr.ErrorCode != errCodeStoreFailed {
		return false
	}
	d := strings.ToLower(apiErr.Description)
	return strings.Contains(d, "maximum messages") || strings.Contains(d, "maximum bytes")
}
