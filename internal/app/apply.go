package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/workers"
)

// Declarer is what Apply needs from the broker; *broker.Client is one.
type Declarer interface {
	// EnsureStreams creates or updates the mesh's streams and its
	// dead-letter stream.
	EnsureStreams(ctx context.Context, specs ...broker.StreamSpec) error
	// KeyValue creates or updates a key-value bucket.
	KeyValue(ctx context.Context, cfg broker.KVConfig) (jetstream.KeyValue, error)
	// EnsureConsumer creates or updates a durable consumer; an existing
	// one keeps its position.
	EnsureConsumer(ctx context.Context, stream string, cc jetstream.ConsumerConfig) (jetstream.Consumer, error)
	// ConsumerInfo reads a consumer (jetstream.ErrConsumerNotFound when
	// there is none).
	ConsumerInfo(ctx context.Context, stream, name string) (*jetstream.ConsumerInfo, error)
}

var _ Declarer = (*broker.Client)(nil)

// Applied is what Apply declared.
type Applied struct {
	// Streams are the names of the streams, the dead-letter stream last.
	Streams []string `json:"streams"`
	// Buckets are the key-value buckets the triggers use.
	Buckets []string `json:"buckets"`
	// Consumers are the durable consumers of the functions, in file order.
	Consumers []AppliedConsumer `json:"consumers"`
	// Warnings are settings of the mesh that had no effect on the broker
	// (a changed startFrom of an existing function), for the caller to
	// report.
	Warnings []string `json:"warnings,omitempty"`
}

// AppliedConsumer is one function's durable consumer.
type AppliedConsumer struct {
	// Function is the function's name.
	Function string `json:"function"`
	// Stream is the stream the consumer reads.
	Stream string `json:"stream"`
	// Consumer is the durable name.
	Consumer string `json:"consumer"`
	// FilterSubjects are the server-side filters (empty: the whole stream).
	FilterSubjects []string `json:"filterSubjects,omitempty"`
}

// Buckets are the key-value buckets the triggers of m need: the webhook
// delivery ids when m has a webhook trigger, the cron state when it has a
// cron trigger.
func Buckets(m *config.Mesh) []broker.KVConfig {
	var hooks, crons bool
	for _, t := range m.Triggers {
		hooks = hooks || t.Webhook != nil
		crons = crons || t.Cron != nil
	}
	var out []broker.KVConfig
	if hooks {
		out = append(out, meshmap.KV(m, broker.KVConfig{Bucket: triggers.WebhookBucket, Description: "webhook delivery ids", TTL: triggers.WebhookDedupTTL}))
	}
	if crons {
		out = append(out, meshmap.KV(m, broker.KVConfig{Bucket: triggers.CronBucket, Description: "last cron ticks"}))
	}
	return out
}

// Apply creates, or updates to match m, the streams, key-value buckets and
// function consumers of m on the broker behind d, and starts nothing. It is
// idempotent: applying the same mesh again changes nothing, applying a
// changed one updates what changed (a consumer's filter subjects, a
// stream's limits). m must be loaded (defaults applied, validated). Every
// failure is reported, joined; what succeeded stays applied.
func Apply(ctx context.Context, d Declarer, m *config.Mesh) (Applied, error) {
	if m == nil {
		return Applied{}, errors.New("apply: mesh is nil")
	}
	var out Applied
	specs := meshmap.Streams(m)
	if err := d.EnsureStreams(ctx, specs...); err != nil {
		// Without its streams no bucket or consumer can be right.
		return out, fmt.Errorf("apply: %w", err)
	}
	for _, s := range specs {
		out.Streams = append(out.Streams, s.Name)
	}

	var errs []error
	for _, kv := range Buckets(m) {
		if _, err := d.KeyValue(ctx, kv); err != nil {
			errs = append(errs, fmt.Errorf("apply: %w", err))
			continue
		}
		out.Buckets = append(out.Buckets, kv.Bucket)
	}
	for i := range m.Functions {
		fn := &m.Functions[i]
		s := m.StreamFor(fn)
		if s == nil {
			errs = append(errs, fmt.Errorf("apply: functions[%d] (%s): no stream to consume from", i, fn.Name))
			continue
		}
		cc := workers.ConsumerConfig(meshmap.Worker(m, fn).WithDefaults())
		if w := StartFromChanged(ctx, d, s.Name, fn.Name, cc); w != "" {
			out.Warnings = append(out.Warnings, w)
		}
		if _, err := d.EnsureConsumer(ctx, s.Name, cc); err != nil {
			errs = append(errs, fmt.Errorf("apply: functions[%d] (%s): %w", i, fn.Name, err))
			continue
		}
		out.Consumers = append(out.Consumers, AppliedConsumer{
			Function: fn.Name, Stream: s.Name, Consumer: cc.Durable, FilterSubjects: cc.FilterSubjects,
		})
	}
	return out, errors.Join(errs...)
}

// StartFromChanged returns a warning when the consumer of function fn on
// stream already exists with another start than cc asks for ("" when it
// does not exist, starts as asked, or cannot be read): JetStream keeps an
// existing consumer's position, so the change has no effect.
func StartFromChanged(ctx context.Context, d interface {
	ConsumerInfo(ctx context.Context, stream, name string) (*jetstream.ConsumerInfo, error)
}, stream, fn string, cc jetstream.ConsumerConfig) string {
	info, err := d.ConsumerInfo(ctx, stream, cc.Durable)
	if err != nil || info == nil {
		return ""
	}
	if _, changed := broker.KeepPosition(info.Config, cc); !changed {
		return ""
	}
	return fmt.Sprintf("startFrom changed on existing function %s: no effect without a replay (its consumer keeps delivering from where it is, %s)",
		fn, describeStart(info.Config))
}

// describeStart says where a consumer was created to start.
func describeStart(c jetstream.ConsumerConfig) string {
	switch c.DeliverPolicy {
	case jetstream.DeliverNewPolicy:
		return "created with startFrom new"
	case jetstream.DeliverAllPolicy:
		return "created with startFrom all"
	case jetstream.DeliverByStartTimePolicy:
		if c.OptStartTime != nil {
			return "created with startFrom " + c.OptStartTime.UTC().Format(time.RFC3339)
		}
	}
	return "created with deliver policy " + c.DeliverPolicy.String()
}
