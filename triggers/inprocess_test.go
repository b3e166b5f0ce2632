package triggers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
)

// A publish that still meets the same event being stored when the
// broker's retry window ends is answered 409, never 5xx, by ingest and by
// routes and webhooks.
func TestInProcessAnswers409(t *testing.T) {
	err := fmt.Errorf("broker: publish x: %w: in process", broker.ErrInProcess)
	if status, _ := publishFailure(context.Background(), err); status != http.StatusConflict {
		t.Errorf("routes and webhooks: %d, want 409", status)
	}
	in := &Ingest{log: slog.New(slog.DiscardHandler)}
	e := event.New()
	e.SetID("a")
	if status, _ := in.publishStatus(httptest.NewRequest(http.MethodPost, "/events", nil), &e, err); status != http.StatusConflict {
		t.Errorf("ingest: %d, want 409", status)
	}
	if got := publishOutcome(broker.Ack{}, err); got != ReceivedUnavailable {
		t.Errorf("outcome %q, want %q", got, ReceivedUnavailable)
	}
}
