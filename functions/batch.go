package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/workers"
)

// BatchResult is what a batch handler returns for one event: the events
// to publish (Outputs) and the error (Err), with Handler's meaning for that
// event alone.
type BatchResult = workers.BatchResult

// BatchHandler processes a batch of events, for a function whose mesh
// entry sets batch: { maxEvents, maxWait }.
//
// Returning an error fails the whole batch: every event of it is retried,
// or dead-lettered, as if Handler had returned that error for it.
// Otherwise results holds one BatchResult per event, in the order of
// events (nil: all succeeded and returned nothing), and each event is
// acknowledged, retried or dead-lettered by its own result, so one bad
// event does not fail the rest. Delivery stays at least once per event.
type BatchHandler interface {
	HandleBatch(ctx context.Context, events []event.Event) (results []BatchResult, err error)
}

// BatchHandlerFunc adapts an ordinary function to a BatchHandler.
type BatchHandlerFunc func(ctx context.Context, events []event.Event) ([]BatchResult, error)

// HandleBatch calls f(ctx, events).
func (f BatchHandlerFunc) HandleBatch(ctx context.Context, events []event.Event) ([]BatchResult, error) {
	return f(ctx, events)
}

// BatchAsHandler returns a Handler that also serves batches: HandleBatch
// is b's, and Handle hands b a batch of one event. Serve takes it for a
// function with or without batch set.
func BatchAsHandler(b BatchHandler) Handler { return batchHandler{b} }

type batchHandler struct{ BatchHandler }

func (b batchHandler) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	res, err := b.HandleBatch(ctx, []event.Event{e})
	if err != nil || len(res) == 0 {
		return nil, err
	}
	return res[0].Outputs, res[0].Err
}

// ServeBatch is Serve for a batch handler.
func ServeBatch(ctx context.Context, b BatchHandler, opts ...ServeOption) error {
	if b == nil {
		return errors.New("functions: serve: batch handler is nil")
	}
	return Serve(ctx, BatchAsHandler(b), opts...)
}

// ContentTypeBatch is the media type of a CloudEvents batch (a JSON array
// of events in structured mode).
const ContentTypeBatch = "application/cloudevents-batch+json"

// batchReplyItem is one entry of a batch reply: the answer for the input
// at its position.
//
//	[{"events": [<CloudEvent>, ...]},                  // ok, with outputs
//	 {},                                                // ok
//	 {"error": "bad total", "permanent": true},         // dead-letter this one
//	 {"error": "busy", "retryAfter": "30s"}]            // retry this one later
type batchReplyItem struct {
	Events     []json.RawMessage `json:"events,omitempty"`
	Error      string            `json:"error,omitempty"`
	Permanent  bool              `json:"permanent,omitempty"`
	RetryAfter string            `json:"retryAfter,omitempty"`
}

// parseBatchReply reads the answer of a batch endpoint or program for n
// events: empty (or null) means all succeeded without outputs; otherwise
// a JSON array of n entries (see batchReplyItem).
func parseBatchReply(body []byte, n int) ([]BatchResult, error) {
	s := bytes.TrimSpace(body)
	if len(s) == 0 || string(s) == "null" {
		return nil, nil
	}
	if len(s) > maxReplyBytes {
		return nil, fmt.Errorf("answer larger than %d bytes", maxReplyBytes)
	}
	var items []batchReplyItem
	if err := json.Unmarshal(s, &items); err != nil {
		return nil, fmt.Errorf("a batch answer is a JSON array of results: %w", err)
	}
	if len(items) != n {
		return nil, fmt.Errorf("%d results for %d events", len(items), n)
	}
	out := make([]BatchResult, n)
	for i, it := range items {
		for j, raw := range it.Events {
			e, err := parseStructuredOne(raw)
			if err != nil {
				return nil, fmt.Errorf("results[%d].events[%d]: %w", i, j, err)
			}
			out[i].Outputs = append(out[i].Outputs, e)
		}
		if it.Error == "" {
			if it.Permanent || it.RetryAfter != "" {
				return nil, fmt.Errorf("results[%d]: permanent and retryAfter need an error", i)
			}
			continue
		}
		err := errors.New(it.Error)
		switch {
		case it.Permanent && it.RetryAfter != "":
			return nil, fmt.Errorf("results[%d]: permanent and retryAfter exclude each other", i)
		case it.Permanent:
			err = Permanent(err)
		case it.RetryAfter != "":
			d, perr := time.ParseDuration(it.RetryAfter)
			if perr != nil || d < 0 {
				return nil, fmt.Errorf("results[%d].retryAfter: must be a duration such as \"30s\", not %q", i, it.RetryAfter)
			}
			err = RetryAfter(err, d)
		}
		out[i].Err = err
	}
	return out, nil
}

// encodeBatch is events as a CloudEvents batch.
func encodeBatch(events []event.Event) ([]byte, error) {
	return json.Marshal(events)
}

// HandleBatch POSTs the events as one CloudEvents batch
// (application/cloudevents-batch+json). A 2xx answer settles each event
// by the batch reply in its body (empty: all succeeded; see the batch
// section of docs/FLOW.md); any other status fails the whole batch as
// Handle fails one event (retryable or not by the status).
func (a *HTTPAdapter) HandleBatch(ctx context.Context, events []event.Event) ([]BatchResult, error) {
	if a.err != nil {
		return nil, Permanent(a.err)
	}
	body, err := encodeBatch(events)
	if err != nil {
		return nil, Permanent(fmt.Errorf("POST %s: encode batch: %w", a.url, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("POST %s: %w", a.url, err))
	}
	req.Header.Set("Content-Type", ContentTypeBatch)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", a.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, statusBodyLimit))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReplyBytes))
		serr := &StatusError{URL: a.url, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(snippet))}
		if !serr.Retryable() {
			return nil, Permanent(serr)
		}
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return nil, RetryAfter(serr, d)
		}
		return nil, serr
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("POST %s: read answer: %w", a.url, err)
	}
	res, err := parseBatchReply(reply, len(events))
	if err != nil {
		return nil, Permanent(fmt.Errorf("POST %s: %w: %w", a.url, ErrInvalidReply, err))
	}
	return res, nil
}

// HandleBatch runs the program once for the batch, with the events as a
// JSON array on stdin and FNMESH_BATCH_SIZE set. Exit 0 settles each event
// by the batch reply on stdout (empty: all succeeded); another exit
// status fails the whole batch as Handle fails one event (100:
// permanent).
func (a *ExecAdapter) HandleBatch(ctx context.Context, events []event.Event) ([]BatchResult, error) {
	if len(a.argv) == 0 || a.argv[0] == "" {
		return nil, Permanent(errors.New("exec adapter: argv is empty: a program to run is required"))
	}
	input, err := encodeBatch(events)
	if err != nil {
		return nil, Permanent(fmt.Errorf("exec %s: encode batch: %w", a.argv[0], err))
	}
	cmd := exec.CommandContext(ctx, a.argv[0], a.argv[1:]...)
	cmd.Dir = a.dir
	env := a.env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], "FNMESH_BATCH_SIZE="+strconv.Itoa(len(events)))
	var errLog *execLines
	if a.log != nil {
		errLog = newExecLines(a.log, "batch", "stderr")
	}
	stdout, stderr, err := runGroup(cmd, input, errLog)
	if err != nil {
		var xe *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return nil, &ExitError{Path: a.argv[0], Code: -1, Stderr: stderr, Err: fmt.Errorf("killed: %w", context.Cause(ctx))}
		case errors.As(err, &xe):
			ee := &ExitError{Path: a.argv[0], Code: xe.ExitCode(), Stderr: stderr, Err: err}
			if ee.Permanent() {
				return nil, Permanent(ee)
			}
			return nil, ee
		default:
			return nil, fmt.Errorf("exec %s: %w", a.argv[0], err)
		}
	}
	res, err := parseBatchReply(stdout, len(events))
	if err != nil {
		return nil, Permanent(fmt.Errorf("exec %s: exit status 0 but %w on stdout: %w", a.argv[0], ErrInvalidReply, err))
	}
	return res, nil
}

var (
	_ BatchHandler         = (*HTTPAdapter)(nil)
	_ BatchHandler         = (*ExecAdapter)(nil)
	_ workers.BatchHandler = batchHandler{}
)
