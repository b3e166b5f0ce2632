package broker

import (
	"context"
	"fmt"
)

// StreamPlacement is where a stream lives on a NATS cluster, as the
// stream's leader answers it.
type StreamPlacement struct {
	// Stream is the stream's name.
	Stream string `json:"stream"`
	// Cluster is the cluster's name ("" on a single server).
	Cluster string `json:"cluster,omitempty"`
	// Leader is the server name of the stream's leader ("" while none).
	Leader string `json:"leader,omitempty"`
	// Replicas are the other servers holding a copy.
	Replicas []StreamReplica `json:"replicas,omitempty"`
	// Messages is the number of messages stored.
	Messages uint64 `json:"messages"`
}

// StreamReplica is one follower of a stream.
type StreamReplica struct {
	// Server is the server name.
	Server string `json:"server"`
	// Current is true when the follower is caught up.
	Current bool `json:"current"`
	// Offline is true when it has not been seen recently.
	Offline bool `json:"offline,omitempty"`
	// Lag is how many operations it is behind.
	Lag uint64 `json:"lag,omitempty"`
}

// StreamPlacement reads where stream lives from the JetStream API. A
// stream without a leader does not answer: the error wraps ErrUnavailable.
func (c *Client) StreamPlacement(ctx context.Context, stream string) (StreamPlacement, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return StreamPlacement{}, fmt.Errorf("broker: stream %s: %w", stream, c.infoErr(err))
	}
	info := s.CachedInfo()
	p := StreamPlacement{Stream: stream, Messages: info.State.Msgs}
	if ci := info.Cluster; ci != nil {
		p.Cluster, p.Leader = ci.Name, ci.Leader
		for _, r := range ci.Replicas {
			if r != nil {
				p.Replicas = append(p.Replicas, StreamReplica{Server: r.Name, Current: r.Current, Offline: r.Offline, Lag: r.Lag})
			}
		}
	}
	return p, nil
}

// infoErr marks a JetStream API request that nobody answered as
// ErrUnavailable.
func (c *Client) infoErr(err error) error {
	if !c.nc.IsConnected() || retryable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
