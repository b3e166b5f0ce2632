package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultCheckTTL is how long StreamCheck reuses an answer: probes and the
// background check of `up` ask at most once a second.
const DefaultCheckTTL = time.Second

// StreamCheck tells whether the streams of a mesh can take writes: each
// exists, its leader answers (a cluster without quorum does not) and it is
// not sealed. A stream that has vanished (deleted by hand) is re-created
// from its spec and logged; the check that found it missing still fails,
// the next one passes. A full discard-new stream passes: it is
// backpressure (publishes answer 429), not an outage.
type StreamCheck struct {
	c     *Client
	specs []StreamSpec
	ttl   time.Duration

	mu  sync.Mutex
	at  time.Time
	err error
}

// NewStreamCheck checks specs on c, reusing each answer for ttl
// (DefaultCheckTTL when 0). The specs are validated as EnsureStreams does.
func (c *Client) NewStreamCheck(ttl time.Duration, specs ...StreamSpec) (*StreamCheck, error) {
	if err := checkStreams(specs); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = DefaultCheckTTL
	}
	return &StreamCheck{c: c, specs: specs, ttl: ttl}, nil
}

// Check returns nil when every stream can take writes, else the problems
// joined: ErrNoStream for a stream that was missing (and is re-created),
// ErrUnavailable for one that does not answer or is sealed. An answer
// younger than the TTL is returned again without asking the server.
func (s *StreamCheck) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.at.IsZero() && time.Since(s.at) < s.ttl {
		return s.err
	}
	ctx, cancel := s.c.withTimeout(ctx)
	defer cancel()
	var errs []error
	for _, spec := range s.specs {
		errs = append(errs, s.check(ctx, spec))
	}
	s.at, s.err = time.Now(), errors.Join(errs...)
	return s.err
}

// check checks one stream, re-creating it when it is gone.
func (s *StreamCheck) check(ctx context.Context, spec StreamSpec) error {
	if !s.c.nc.IsConnected() {
		return fmt.Errorf("broker: stream %s: %w: connection %s", spec.Name, ErrUnavailable, s.c.nc.Status())
	}
	st, err := s.c.js.Stream(ctx, spec.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		s.c.log.Error("stream vanished: re-creating it (the events it held are gone)", "stream", spec.Name)
		if cerr := s.c.EnsureStreams(ctx, spec); cerr != nil {
			return fmt.Errorf("broker: stream %s: %w: re-creating it: %w", spec.Name, ErrNoStream, cerr)
		}
		s.c.log.Info("stream re-created", "stream", spec.Name)
		return fmt.Errorf("broker: stream %s: %w: it was missing and is re-created", spec.Name, ErrNoStream)
	case err != nil:
		return fmt.Errorf("broker: stream %s: %w: %w", spec.Name, ErrUnavailable, err)
	}
	info := st.CachedInfo()
	if info.Config.Sealed {
		return fmt.Errorf("broker: stream %s: %w: sealed", spec.Name, ErrUnavailable)
	}
	if info.Cluster != nil && info.Cluster.Leader == "" {
		return fmt.Errorf("broker: stream %s: %w: no leader", spec.Name, ErrUnavailable)
	}
	return nil
}
