package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// deadLetter stores the original message on the function's dead-letter
// subject and, once the broker confirmed it, terminates the delivery. When
// the publish fails the event is retried later instead (never terminated
// without a copy). With dead letters turned off it is terminated and logged.
func (w *Worker) deadLetter(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, cause error, log eventLog) (string, error) {
	if !*w.cfg.Delivery.DeadLetter {
		if err := msg.Term(); err != nil {
			log.get().Warn("term failed; the event will be redelivered after the ack wait", "error", err)
		}
		log.get().Warn("event dropped after its last attempt (delivery.deadLetter is false)", "reason", cause)
		return OutcomeDeadLetter, cause
	}
	info := broker.DeadLetterInfo{
		Function: w.cfg.Function,
		Attempts: int(min(md.NumDelivered, 1<<31-1)),
		Reason:   cause.Error(),
		Time:     time.Now(),
		Subject:  msg.Subject(),
	}
	// The id names the delivery: dead-lettering it twice (a lost Term) stores
	// one copy; the same event dead-lettered after a redrive has a new
	// stream sequence and is stored again.
	msgID := fmt.Sprintf("deadletter-%s-%s-%d", w.cfg.Function, md.Stream, md.Sequence.Stream)
	pctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	// The message as it was stored, whatever the handler did with its copy.
	if _, err := w.b.DeadLetterer.DeadLetter(pctx, msg.Headers(), msg.Data(), info, msgID); err != nil {
		delay := w.cfg.Delivery.backoff(md.NumDelivered, nil)
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.get().Warn("nak failed; the event will be redelivered after the ack wait", "error", nerr)
		}
		log.get().Error("dead letter not stored; retrying later", "error", err, "reason", cause, "retry_in", delay)
		return OutcomeRetry, fmt.Errorf("dead letter: %w (reason: %w)", err, cause)
	}
	if terr := msg.Term(); terr != nil {
		log.get().Warn("term failed; the event will be redelivered and dead-lettered again (stored once)", "error", terr)
	}
	log.get().Warn("event dead-lettered", "reason", cause)
	return OutcomeDeadLetter, cause
}
