package triggers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/cebind"
)

// ReplyConfig configures a ReplyWaiter.
type ReplyConfig struct {
	// SubjectPrefix is the subject prefix of events; answers are looked for
	// on "<SubjectPrefix>.>". Default "events".
	SubjectPrefix string
	// DeadLetterPrefix is the subject prefix of dead letters (the mesh
	// file's deadLetter.subjectPrefix). When set, a request whose event a
	// function dead-letters (a permanent error, or the last attempt) is
	// answered at once with 502; when empty, such a request waits for its
	// timeout.
	DeadLetterPrefix string
}

// withDefaults returns c with every unset field at its default.
func (c ReplyConfig) withDefaults() ReplyConfig {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = broker.DefaultSubjectPrefix
	}
	return c
}

// Headers of a dead letter that say which event it is and why it failed,
// exactly as the broker's codec writes them.
const (
	idHeader     = "ce-id"
	sourceHeader = "ce-source"
)

// Failure says that a function gave up on an event: it was dead-lettered.
type Failure struct {
	// Function that gave up.
	Function string
	// Reason is the last error (bounded, as stored with the dead letter).
	Reason string
}

// Failed delivers word that the event was dead-lettered; it receives at
// most one Failure and is never closed.
func (w *Waiter) Failed() <-chan Failure { return w.failed }

// subscribeDeadLetters opens the dead-letter subscription when dead
// letters are watched; rw.mu is held.
func (rw *ReplyWaiter) subscribeDeadLetters() error {
	if rw.deadLetters == "" {
		return nil
	}
	sub, err := rw.nc.Subscribe(rw.deadLetters, rw.onDeadLetter)
	if err != nil {
		return fmt.Errorf("triggers: dead-letter subscription on %s: %w: %w", rw.deadLetters, broker.ErrUnavailable, err)
	}
	rw.dlSub = sub
	return nil
}

// unsubscribeDeadLetters ends the dead-letter subscription, if any; rw.mu
// is held.
func (rw *ReplyWaiter) unsubscribeDeadLetters() {
	if rw.dlSub == nil {
		return
	}
	if err := rw.dlSub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		rw.log.Debug("dead-letter subscription not ended", "error", err)
	}
	rw.dlSub = nil
}

// onDeadLetter tells the waiters of the dead-lettered event (same id and
// source) that it failed. Only the headers are read.
func (rw *ReplyWaiter) onDeadLetter(m *nats.Msg) {
	if len(m.Header[idHeader]) != 1 || len(m.Header[sourceHeader]) != 1 {
		return
	}
	id, _ := cebind.ExtensionHeader(m.Header, "id")
	source, _ := cebind.ExtensionHeader(m.Header, "source")
	function, _ := cebind.ExtensionHeader(m.Header, broker.ExtDeadLetterFunction)
	reason, _ := cebind.ExtensionHeader(m.Header, broker.ExtDeadLetterReason)
	f := Failure{Function: function, Reason: reason}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	for w := range rw.waiters[id] {
		if w.source != source {
			continue
		}
		select {
		case w.failed <- f: // the first word wins
		default:
		}
	}
}

// replyFailedBody is the 502 answer of a reply route whose event was
// dead-lettered.
type replyFailedBody struct {
	Error    string `json:"error"`
	ID       string `json:"id"`
	Function string `json:"function,omitempty"`
	Reason   string `json:"reason"`
}

// writeReplyFailed answers 502: the event is stored, and a function gave
// up on it.
func writeReplyFailed(w http.ResponseWriter, id string, f Failure) {
	writeJSON(w, http.StatusBadGateway, replyFailedBody{
		Error:    fmt.Sprintf("the event was dead-lettered by function %q; no answer will come", f.Function),
		ID:       id,
		Function: f.Function,
		Reason:   f.Reason,
	})
}
