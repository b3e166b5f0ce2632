package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
)

// benchType is the CloudEvents type of every benchmark event.
const benchType = "dev.fnmesh.bench"

// env is the broker a run uses: an embedded server in a temporary
// directory or an external one, the connections opened to it and the
// streams created on it (all removed by close).
type env struct {
	cfg   Config
	log   *slog.Logger
	srv   *embedded.Server // nil on an external server
	dir   string           // temporary directory to remove
	url   string
	id    string // suffix that makes stream and subject names unique
	admin jetstream.JetStream

	mu      sync.Mutex
	conns   []*nats.Conn
	streams []string
}

// openEnv starts the embedded server (cfg.NATS.URL empty) or connects to
// the external one.
func openEnv(ctx context.Context, cfg Config) (_ *env, err error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	e := &env{cfg: cfg, log: log, url: cfg.NATS.URL, id: hex.EncodeToString(rnd[:])}
	defer func() {
		if err != nil {
			_ = e.close(context.WithoutCancel(ctx))
		}
	}()
	if e.url == "" {
		if e.dir, err = os.MkdirTemp("", "fnmesh-bench-"); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		if e.srv, err = embedded.Start(embedded.Config{DataDir: e.dir}, log); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		e.url = e.srv.ClientURL()
	}
	nc, err := e.connect(ctx, "fnmesh-bench-admin")
	if err != nil {
		return nil, err
	}
	if e.admin, err = jetstream.New(nc); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return e, nil
}

// connect opens a TCP connection, as a separate process would.
func (e *env) connect(ctx context.Context, name string) (*nats.Conn, error) {
	cc := e.cfg.NATS
	cc.URL = e.url
	nc, err := broker.Connect(ctx, cc, name)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	e.mu.Lock()
	e.conns = append(e.conns, nc)
	e.mu.Unlock()
	return nc, nil
}

// jetStream opens a connection (connect) and a plain nats.go JetStream
// context on it, for the baselines.
func (e *env) jetStream(ctx context.Context, name string) (jetstream.JetStream, error) {
	nc, err := e.connect(ctx, name)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return js, nil
}

// mesh is what a run declares, in the components' own settings: the
// broker client's subject prefix, the stream of its events, its dead
// letters, its run history and its functions' consume settings.
type mesh struct {
	Broker     broker.Config
	Stream     broker.StreamSpec
	DeadLetter broker.DeadLetterConfig
	History    history.Config
	// Functions are consume settings whose stream and subject prefix are
	// the mesh's (set by env.mesh).
	Functions []workers.Config
}

// streams are the streams m stores in, as a mesh file's streams would be
// created at start: the events' stream, the dead-letter stream and, when
// recording is on, the run history stream.
func (m *mesh) streams() []broker.StreamSpec {
	specs := []broker.StreamSpec{m.Stream, m.DeadLetter.StreamSpec()}
	if !m.History.Disabled {
		specs = append(specs, m.History.StreamSpec())
	}
	return specs
}

// workerBroker is what a worker needs from the broker, served by c: it
// consumes and publishes, and stores dead letters on the dead-letter
// stream dl.
func workerBroker(c *broker.Client, dl broker.DeadLetterConfig) (workers.Broker, error) {
	q, err := broker.NewDeadLetterQueue(c, dl)
	if err != nil {
		return workers.Broker{}, fmt.Errorf("bench: %w", err)
	}
	return workers.Broker{Consumers: c, Publisher: c, DeadLetterer: q}, nil
}

// client opens a connection and a broker client for mesh m.
func (e *env) client(ctx context.Context, name string, m *mesh) (*broker.Client, error) {
	nc, err := e.connect(ctx, name)
	if err != nil {
		return nil, err
	}
	c, err := broker.New(nc, m.Broker, broker.WithLogger(e.log))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return c, nil
}

// mesh is a mesh with one file stream and the dead-letter stream, named
// for this run, holding fns (if any) on that stream. Its streams are
// deleted by close.
func (e *env) mesh(fns ...workers.Config) *mesh {
	return e.newMesh("bench_"+e.id, "BENCH_"+e.id, broker.DeadLetterConfig{
		Stream:        "BENCH_DLQ_" + e.id,
		SubjectPrefix: "benchdlq_" + e.id,
	}, history.Config{Disabled: true}, fns) // no run history unless a scenario asks for it
}

// historyMesh is mesh(fns...) on streams of its own, with the run history
// recorded in a stream of its own too.
func (e *env) historyMesh(fns ...workers.Config) *mesh {
	return e.newMesh("bench_"+e.id+"_h", "BENCH_H_"+e.id, broker.DeadLetterConfig{
		Stream:        "BENCH_H_DLQ_" + e.id,
		SubjectPrefix: "benchdlq_h_" + e.id,
	}, history.Config{Stream: "BENCH_RUNS_" + e.id, SubjectPrefix: "benchruns_" + e.id}, fns)
}

func (e *env) newMesh(prefix, stream string, dl broker.DeadLetterConfig, h history.Config, fns []workers.Config) *mesh {
	m := &mesh{
		Broker:     broker.Config{SubjectPrefix: prefix},
		Stream:     broker.StreamSpec{Name: stream, Subjects: []string{prefix + ".>"}},
		DeadLetter: dl,
		History:    h,
	}
	for _, fn := range fns {
		fn.Stream, fn.StreamSubjects, fn.SubjectPrefix = m.Stream.Name, m.Stream.Subjects, prefix
		m.Functions = append(m.Functions, fn)
	}
	e.track(m.Stream.Name, m.DeadLetter.Stream)
	if !h.Disabled {
		e.track(h.Stream)
	}
	return m
}

// ensureMesh creates the streams of m.
func (e *env) ensureMesh(ctx context.Context, c *broker.Client, m *mesh) error {
	if err := c.EnsureStreams(ctx, m.streams()...); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// rawStream creates the baseline's stream (file storage, like fnmesh's
// streams) and returns the subject its events are published on.
func (e *env) rawStream(ctx context.Context, tag string) (stream, subject string, err error) {
	stream = "BENCH_RAW_" + tag + "_" + e.id
	prefix := "benchraw_" + tag + "_" + e.id
	e.track(stream)
	_, err = e.admin.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      stream,
		Subjects:  []string{prefix + ".>"},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		Replicas:  1,
	})
	if err != nil {
		return "", "", fmt.Errorf("bench: stream %s: %w", stream, err)
	}
	return stream, prefix + "." + benchType, nil
}

func (e *env) track(streams ...string) {
	e.mu.Lock()
	e.streams = append(e.streams, streams...)
	e.mu.Unlock()
}

// close deletes the streams, closes the connections, stops the embedded
// server and removes its directory.
func (e *env) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	e.mu.Lock()
	streams, conns := e.streams, e.conns
	e.streams, e.conns = nil, nil
	e.mu.Unlock()
	if e.admin != nil {
		for _, s := range streams {
			if err := e.admin.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				errs = append(errs, fmt.Errorf("bench: delete stream %s: %w", s, err))
			}
		}
	}
	for _, nc := range conns {
		nc.Close()
	}
	if e.srv != nil {
		errs = append(errs, e.srv.Shutdown(ctx))
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}

// payload is a body of exactly size bytes: a JSON object from 8 bytes
// up, printable filler below, with its content type.
func payload(size int) ([]byte, string) {
	b := make([]byte, size)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	if size < 8 {
		return b, "text/plain"
	}
	copy(b, `{"p":"`)
	copy(b[size-2:], `"}`)
	return b, "application/json"
}
