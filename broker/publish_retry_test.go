package broker_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// jetStreamServer is a nats-server whose JetStream the test can turn off
// and on again while clients stay connected: the streams exist on disk but
// nothing answers for them, as during a leader election on a cluster.
type jetStreamServer struct {
	srv   *server.Server
	store string
}

func startJetStreamServer(t *testing.T) *jetStreamServer {
	t.Helper()
	store := filepath.Join(t.TempDir(), "jetstream")
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: store,
		NoSigs: true, NoLog: true, DisableJetStreamBanner: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return &jetStreamServer{srv: srv, store: store}
}

func (s *jetStreamServer) client(t *testing.T) *broker.Client {
	t.Helper()
	nc, err := nats.Connect(s.srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := broker.New(nc, broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	brokertest.Ensure(t, c, brokertest.Streams()...)
	return c
}

func (s *jetStreamServer) stopJetStream(t *testing.T) {
	t.Helper()
	if err := s.srv.DisableJetStream(); err != nil {
		t.Fatal(err)
	}
}

func (s *jetStreamServer) startJetStream(t *testing.T) {
	t.Helper()
	if err := s.srv.EnableJetStream(&server.JetStreamConfig{StoreDir: s.store}); err != nil {
		t.Error(err)
	}
}

// While no stream answers, a publish is tried again with the same
// Nats-Msg-Id; once JetStream is back it is stored, once.
func TestPublishRidesThroughAnOutage(t *testing.T) {
	s := startJetStreamServer(t)
	c := s.client(t)
	s.stopJetStream(t)
	// Every attempt is a message on the client's connection (a subscriber
	// on the subject would answer for the stream, so none is used).
	sent := func() uint64 { return c.Conn().Stats().OutMsgs }
	before := sent()

	type result struct {
		ack broker.Ack
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		ack, err := c.Publish(context.Background(), newEvent("during-outage"))
		done <- result{ack, err}
	}()
	// The first attempt, the lookup of the subject's stream, a second attempt.
	poll.Until(t, broker.PublishRetryWindow, "the publish to be tried again", func() bool { return sent()-before >= 3 })
	s.startJetStream(t)
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * broker.PublishRetryWindow):
		t.Fatal("publish did not return")
	}
	if r.err != nil || r.ack.Stream != "EVENTS" || r.ack.Duplicate {
		t.Fatalf("publish after %s = %+v, %v; want stored", time.Since(start), r.ack, r.err)
	}
	if got := readAll(t, c, "EVENTS"); len(got) != 1 {
		t.Errorf("stored %d messages after %d sent, want 1", len(got), sent()-before)
	}
	if ack, err := c.Publish(context.Background(), newEvent("during-outage")); err != nil || !ack.Duplicate {
		t.Errorf("publishing it again = %+v, %v; want a duplicate", ack, err)
	}
}

// Past PublishRetryWindow a publish that no stream answered fails with
// ErrUnavailable (a trigger's 503), not with ErrNoStream (a 500): the
// stream exists, it has no leader.
func TestPublishUnavailablePastTheWindow(t *testing.T) {
	s := startJetStreamServer(t)
	c := s.client(t)
	s.stopJetStream(t)
	start := time.Now()
	_, err := c.Publish(context.Background(), newEvent("lost"))
	took := time.Since(start)
	if !errors.Is(err, broker.ErrUnavailable) || errors.Is(err, broker.ErrNoStream) {
		t.Fatalf("err = %v, want ErrUnavailable and not ErrNoStream", err)
	}
	if took < broker.PublishRetryWindow || took > broker.PublishRetryWindow+2*time.Second {
		t.Errorf("failed after %s, want about the retry window (%s)", took, broker.PublishRetryWindow)
	}
	// A dead letter takes the same path.
	q := brokertest.DeadLetterQueue(t, c)
	if _, err := q.DeadLetter(context.Background(), nats.Header{}, []byte("x"), broker.DeadLetterInfo{Function: "f"}, "dl-f-1"); !errors.Is(err, broker.ErrUnavailable) {
		t.Errorf("dead letter: err = %v, want ErrUnavailable", err)
	}
}
