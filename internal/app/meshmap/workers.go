package meshmap

import (
	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
)

// Worker is the consume configuration of function fn of m: its stream
// (the one it names, else the mesh's default), the mesh's subject prefix,
// its filters, concurrency, timeouts and delivery, and as MaxReplicas its
// scaling maximum (with the scaler's default), so that every replica and
// the scaler derive the same consumer. Settings left empty stay empty:
// workers.New applies the defaults. Replica and ShutdownTimeout are not
// the mesh's; the caller sets them.
func Worker(m *config.Mesh, fn *config.Function) workers.Config {
	stream := fn.Stream
	var subjects []string
	if s := m.StreamFor(fn); s != nil {
		stream, subjects = s.Name, s.Subjects
	}
	d := fn.Delivery
	return workers.Config{
		Function:       fn.Name,
		Stream:         stream,
		StreamSubjects: subjects,
		SubjectPrefix:  m.SubjectPrefix,
		Filters:        filterSpecs(fn.Filters),
		Concurrency:    fn.Concurrency,
		Timeout:        fn.Timeout.D(),
		AckWait:        fn.AckWait.D(),
		Delivery: workers.Delivery{
			Retry:         d.Retry,
			BackoffPolicy: d.BackoffPolicy,
			BackoffDelay:  d.BackoffDelay.D(),
			BackoffMax:    d.BackoffMax.D(),
			DeadLetter:    d.DeadLetter,
		},
		StartFrom:   fn.StartFrom,
		MaxReplicas: Params(fn).WithDefaults().Max,
		RateLimit:   rateLimit(fn.RateLimit),
		Ordering:    ordering(fn.Ordering),
		Batch:       batch(fn.Batch),
	}
}

func batch(b *config.Batch) *workers.Batch {
	if b == nil {
		return nil
	}
	return &workers.Batch{MaxEvents: b.MaxEvents, MaxWait: b.MaxWait.D()}
}

func rateLimit(r *config.RateLimit) *workers.RateLimit {
	if r == nil {
		return nil
	}
	return &workers.RateLimit{Events: r.Events, Per: r.Per.D()}
}

func ordering(o *config.Ordering) *workers.Ordering {
	if o == nil {
		return nil
	}
	return &workers.Ordering{Key: o.Key}
}

// filterSpecs maps the mesh's filters onto the worker's.
func filterSpecs(fs []config.Filter) []workers.FilterSpec {
	if fs == nil {
		return nil
	}
	out := make([]workers.FilterSpec, len(fs))
	for i := range fs {
		out[i] = filterSpec(&fs[i])
	}
	return out
}

func filterSpec(f *config.Filter) workers.FilterSpec {
	s := workers.FilterSpec{
		Exact: f.Exact, Prefix: f.Prefix, Suffix: f.Suffix,
		All: filterSpecs(f.All), Any: filterSpecs(f.Any), CESQL: f.CESQL,
	}
	if f.Not != nil {
		not := filterSpec(f.Not)
		s.Not = &not
	}
	return s
}

// WorkerBroker is what the workers of m need from the broker, served by c:
// it consumes and publishes, and stores dead letters on m's dead-letter
// stream. It fails only for a mesh that did not pass validation.
func WorkerBroker(c *broker.Client, m *config.Mesh) (workers.Broker, error) {
	q, err := broker.NewDeadLetterQueue(c, DeadLetter(m))
	if err != nil {
		return workers.Broker{}, err
	}
	return workers.Broker{Consumers: c, Publisher: c, DeadLetterer: q}, nil
}
