package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNoMessage means a stream holds no message at the sequence asked for
// (never stored, removed by its limits, or deleted).
var ErrNoMessage = errors.New("no message at that sequence")

// GetEvent reads the message at seq of stream and decodes it (StoredEvent.Err
// is set when it is not a valid CloudEvent).
func (c *Client) GetEvent(ctx context.Context, stream string, seq uint64) (StoredEvent, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return StoredEvent{}, fmt.Errorf("broker: stream %s: %w", stream, err)
	}
	m, err := s.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return StoredEvent{}, fmt.Errorf("broker: %s/%d: %w", stream, seq, ErrNoMessage)
		}
		return StoredEvent{}, fmt.Errorf("broker: %s/%d: %w", stream, seq, err)
	}
	se := StoredEvent{Sequence: m.Sequence, Subject: m.Subject, Time: m.Time}
	se.Event, se.Err = DecodeMsg(m.Header, m.Data)
	return se, nil
}
