package meshmap

import (
	"slices"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
)

// Broker is the broker client's configuration for m.
func Broker(m *config.Mesh) broker.Config {
	return broker.Config{SubjectPrefix: m.SubjectPrefix}
}

// Stream is the broker's declaration of one stream of the mesh file.
func Stream(s config.Stream) broker.StreamSpec {
	return broker.StreamSpec{
		Name:              s.Name,
		Subjects:          slices.Clone(s.Subjects),
		MaxAge:            s.MaxAge.D(),
		MaxBytes:          s.MaxBytes,
		MaxMsgs:           s.MaxMsgs,
		MaxMsgsPerSubject: s.MaxMsgsPerSubject,
		Discard:           broker.Discard(s.Discard),
		Replicas:          s.Replicas,
		Storage:           broker.Storage(s.Storage),
		DuplicateWindow:   s.DuplicateWindow.D(),
		Schedules:         s.Schedules,
		MaxDelay:          s.MaxDelay.D(),
	}
}

// Streams are the streams m stores events in, followed by its dead-letter
// stream and, when recording is on, its run history stream: what the mesh
// creates or updates at start (broker.Client.EnsureStreams).
func Streams(m *config.Mesh) []broker.StreamSpec {
	specs := make([]broker.StreamSpec, 0, len(m.Streams)+2)
	for _, s := range m.Streams {
		specs = append(specs, Stream(s))
	}
	specs = append(specs, DeadLetter(m).StreamSpec())
	if h := History(m); !h.Disabled {
		specs = append(specs, h.StreamSpec())
	}
	return specs
}

// History is where m keeps its run history (history.NewRecorder,
// history.NewReader).
func History(m *config.Mesh) history.Config {
	return history.Config{
		Disabled:      !m.History.On(),
		Stream:        m.History.Stream,
		SubjectPrefix: m.History.SubjectPrefix,
		MaxAge:        m.History.MaxAge.D(),
		MaxBytes:      m.History.MaxBytes,
		Replicas:      m.History.Replicas,
	}
}

// DeadLetter is where m keeps its dead letters
// (broker.NewDeadLetterQueue).
func DeadLetter(m *config.Mesh) broker.DeadLetterConfig {
	return broker.DeadLetterConfig{
		Stream:        m.DeadLetter.Stream,
		SubjectPrefix: m.DeadLetter.SubjectPrefix,
		MaxAge:        m.DeadLetter.MaxAge.D(),
		Replicas:      m.DeadLetter.Replicas,
	}
}

// KV is the key-value bucket cfg as mesh m keeps it: with the replicas of
// m's streams (config.Mesh.StreamReplicas) unless cfg sets its own.
func KV(m *config.Mesh, cfg broker.KVConfig) broker.KVConfig {
	if cfg.Replicas == 0 {
		cfg.Replicas = m.StreamReplicas()
	}
	return cfg
}

// SyncAlways reports whether a stream of m asks for "sync: always". JetStream
// has no per-stream fsync: it is the embedded server's setting
// (embedded.Config.SyncAlways), and an external server's own.
func SyncAlways(m *config.Mesh) bool {
	return slices.ContainsFunc(m.Streams, func(s config.Stream) bool { return s.Sync == "always" })
}
