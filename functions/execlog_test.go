package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// execRecords runs argv through an exec adapter that logs to a JSON
// handler and returns the "exec output" records.
func execRecords(t *testing.T, argv []string) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := NewExecAdapter(argv, "", nil, WithExecLogger(log))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.Handle(ctx, testEvent(t, "ev-1")); err != nil {
		t.Fatalf("Handle = %v", err)
	}
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var r map[string]any
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if r["msg"] == "exec output" {
			out = append(out, r)
		}
	}
	return out
}

// TestExecOutputLogged: a program that succeeds has its stderr and its
// non-event stdout logged line by line with the event id, long lines cut.
func TestExecOutputLogged(t *testing.T) {
	long := strings.Repeat("x", 10000)
	recs := execRecords(t, []string{"sh", "-c", `echo "to stderr" >&2; echo "plain stdout"; printf '%s\n' "` + long + `" >&2; printf 'no newline' >&2`})
	type line struct{ stream, text string }
	var got []line
	for _, r := range recs {
		if r["event_id"] != "ev-1" {
			t.Errorf("record without the event id: %v", r)
		}
		got = append(got, line{r["stream"].(string), r["line"].(string)})
	}
	want := []line{{"stderr", "to stderr"}, {"stderr", long[:maxExecLogLine]}, {"stderr", "no newline"}, {"stdout", "plain stdout"}}
	if len(got) != len(want) {
		t.Fatalf("records %v, want %d", got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %.40q, want %.40q", i, got[i], want[i])
		}
	}
	if n, _ := recs[1]["truncated_bytes"].(float64); int(n) != len(long)-maxExecLogLine {
		t.Errorf("truncated_bytes = %v, want %d", recs[1]["truncated_bytes"], len(long)-maxExecLogLine)
	}
}

// TestExecExampleNotifyLogged: the example notify function's line shows.
func TestExecExampleNotifyLogged(t *testing.T) {
	recs := execRecords(t, []string{"sh", "examples/notify.sh"})
	if len(recs) != 1 || !strings.Contains(recs[0]["line"].(string), "customer notified") {
		t.Fatalf("records %v, want the notify line", recs)
	}
}
