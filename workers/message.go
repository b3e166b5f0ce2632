package workers

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// Message is where the message a delivery is about was stored: what a
// Hooks.Deliver hook finds with MessageFrom to name the stored event (run
// history, event lookup by stream sequence).
type Message struct {
	// Stream is the stream the message was stored in.
	Stream string
	// Seq is its sequence in the stream.
	Seq uint64
	// Subject is the subject it was stored on.
	Subject string
}

type messageKey struct{}

// MessageFrom returns the stored position of the message a Hooks.Deliver
// hook is called for; ok is false for a context that carries none.
func MessageFrom(ctx context.Context) (m Message, ok bool) {
	m, ok = ctx.Value(messageKey{}).(Message)
	return m, ok
}

// withMessage returns ctx carrying the position of msg (only called when
// a Deliver hook is installed, so the loop pays nothing otherwise).
func withMessage(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata) context.Context {
	return context.WithValue(ctx, messageKey{}, Message{Stream: md.Stream, Seq: md.Sequence.Stream, Subject: msg.Subject()})
}
