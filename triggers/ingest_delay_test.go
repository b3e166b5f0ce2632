package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func schedIngestStreams() []broker.StreamSpec {
	return []broker.StreamSpec{{Name: "EVENTS", Subjects: []string{"events.>"}, Schedules: true, MaxDelay: time.Hour}}
}

// visible counts the events consumers of events.> can see.
func (env *ingestEnv) visible(t testing.TB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	err := env.client.ReadStream(ctx, "EVENTS", "events.>", func(broker.StoredEvent) bool { n++; return true })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestDeliverAt posts delayed events in binary, structured and
// batched mode: each is answered 202 at once, invisible until its time,
// then delivered; a bad or too distant deliverat is a 400 naming it.
func TestIngestDeliverAt(t *testing.T) {
	env := newIngestEnv(t, schedIngestStreams(), IngestConfig{})
	at := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)

	a := ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "b-1", "ce-deliverat", at), strBody("x"))
	if a.status != http.StatusAccepted {
		t.Fatalf("binary: %d %s", a.status, a.body)
	}
	a = ingestDo(t, http.MethodPost, env.url, structuredHeaders(), strBody(structuredBody(map[string]any{"id": "s-1", "deliverat": at})))
	if a.status != http.StatusAccepted {
		t.Fatalf("structured: %d %s", a.status, a.body)
	}
	batch := "[" + structuredBody(map[string]any{"id": "m-1", "deliverat": at}) + "," + structuredBody(map[string]any{"id": "m-2"}) + "]"
	a = ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody(batch))
	if a.status != http.StatusAccepted {
		t.Fatalf("batch: %d %s", a.status, a.body)
	}
	// Dedup as usual: the same delayed event again is a duplicate.
	a = ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "b-1", "ce-deliverat", at), strBody("x"))
	if sa := decodeStored(t, a); !sa.Duplicate {
		t.Fatalf("repeat: %s", a.body)
	}
	if n := env.visible(t); n != 1 {
		t.Fatalf("%d events visible before their time, want 1 (m-2)", n)
	}
	deadline := time.Now().Add(8 * time.Second)
	for env.visible(t) != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events visible after their time, want 4", env.visible(t))
		}
		time.Sleep(100 * time.Millisecond)
	}

	for name, c := range map[string]struct {
		hdr  http.Header
		body string
		rule string
	}{
		"not RFC 3339": {binaryHeaders("ce-deliverat", "tomorrow"), "x", "RFC 3339"},
		"too far":      {binaryHeaders("ce-deliverat", time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339)), "x", "more than stream EVENTS allows"},
		"in a batch": {batchHeaders(), "[" + structuredBody(map[string]any{"id": "x-1"}) + "," +
			structuredBody(map[string]any{"id": "x-2", "deliverat": "2030-13-01T00:00:00Z"}) + "]", "RFC 3339"},
	} {
		a := ingestDo(t, http.MethodPost, env.url, c.hdr, strBody(c.body))
		eb := a.errorJSON(t)
		if a.status != http.StatusBadRequest || eb.Attribute != "deliverat" && !strings.Contains(eb.Error, `"deliverat"`) || !strings.Contains(string(a.body), c.rule) {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
		if name == "in a batch" && (eb.Index == nil || *eb.Index != 1) {
			t.Errorf("%s: index not 1: %s", name, a.body)
		}
	}
	if n := env.visible(t); n != 4 {
		t.Fatalf("refused events were stored: %d visible", n)
	}
}

func batchBody(prefix string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = structuredBody(map[string]any{"id": fmt.Sprintf("%s-%d", prefix, i)})
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestIngestAtomicBatch stores 1,000 events at once with their sequences,
// refuses a batch holding a stored event whole (409, nothing stored), and
// stores more than 1,000 only when atomicity is not asked for.
func TestIngestAtomicBatch(t *testing.T) {
	env := newIngestEnvWith(t, brokertest.Server(t, ""), nil, IngestConfig{MaxBodyBytes: 4 << 20}, nil)
	a := ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody(batchBody("a", 1000)))
	var ba batchAnswer
	if err := json.Unmarshal(a.body, &ba); err != nil || a.status != http.StatusAccepted || ba.Accepted != 1000 {
		t.Fatalf("1000: %d %.300s", a.status, a.body)
	}
	if r := ba.Results[999]; !r.Stored || r.Seq != 1000 || r.ID != "a-999" || r.Stream != "EVENTS" {
		t.Fatalf("last result %+v", r)
	}
	body := "[" + structuredBody(map[string]any{"id": "n-1"}) + "," + structuredBody(map[string]any{"id": "a-5"}) + "]"
	a = ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody(body))
	ba = batchAnswer{}
	if err := json.Unmarshal(a.body, &ba); err != nil || a.status != http.StatusConflict || ba.Accepted != 0 || ba.Results[0].Stored || !strings.Contains(ba.Error, "nothing stored") {
		t.Fatalf("with a stored event: %d %s", a.status, a.body)
	}
	a = ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody(batchBody("b", 1001)))
	if eb := a.errorJSON(t); a.status != http.StatusBadRequest || !strings.Contains(eb.Error, "atomic=false") {
		t.Fatalf("1001 atomic: %d %s", a.status, a.body)
	}
	if n := len(env.stored(t)); n != 1000 {
		t.Fatalf("%d stored, want 1000", n)
	}
	a = ingestDo(t, http.MethodPost, env.url+"?atomic=false", batchHeaders(), strBody(batchBody("b", 1001)))
	ba = batchAnswer{}
	if err := json.Unmarshal(a.body, &ba); err != nil || a.status != http.StatusAccepted || ba.Accepted != 1001 {
		t.Fatalf("1001 fast: %d %.300s", a.status, a.body)
	}
	a = ingestDo(t, http.MethodPost, env.url+"?atomic=maybe", batchHeaders(), strBody(batchBody("c", 1)))
	if eb := a.errorJSON(t); a.status != http.StatusBadRequest || !strings.Contains(eb.Error, `"atomic" must be true or false`) {
		t.Fatalf("bad atomic: %d %s", a.status, a.body)
	}
	if n := len(env.stored(t)); n != 2001 {
		t.Fatalf("%d stored, want 2001", n)
	}
}
