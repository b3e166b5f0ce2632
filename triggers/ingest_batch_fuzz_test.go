package triggers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// FuzzIngestBatch posts random batches (with or without deliverat, in
// atomic or fast mode) to the handler on a real broker with schedules:
// never a 5xx, and an atomic batch is stored whole or not at all: the
// stream grows by every event of a 202 and by none otherwise.
func FuzzIngestBatch(f *testing.F) {
	ev := func(id, extra string) string {
		return `{"specversion":"1.0","id":"` + id + `","source":"/s","type":"com.example.t"` + extra + `}`
	}
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, s := range []struct {
		body   string
		atomic string
	}{
		{"[" + ev("1", "") + "," + ev("2", `,"deliverat":"`+soon+`"`) + "]", ""},
		{"[" + ev("3", `,"deliverat":"2000-01-01T00:00:00Z"`) + "," + ev("3", "") + "]", ""},
		{"[" + ev("4", `,"deliverat":"soon"`) + "]", "true"},
		{"[" + ev("5", `,"deliverat":7`) + "," + ev("6", `,"data":{"a":1}`) + "]", "false"},
		{"[" + ev("7", `,"deliverat":"9999-12-31T23:59:59Z"`) + "]", ""},
		{"[" + ev("8", "") + ",{}]", "maybe"},
		{`[{"specversion":"1.0"}]`, ""},
	} {
		f.Add([]byte(s.body), s.atomic)
	}
	srv := brokertest.Server(f, "")
	client := brokertest.Client(f, srv, broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"},
		Storage: broker.StorageMemory, Schedules: true, MaxDelay: 24 * time.Hour})
	js, err := jetstream.New(client.Conn())
	if err != nil {
		f.Fatal(err)
	}
	h := mustIngest(f, IngestConfig{MaxBodyBytes: MinMaxBodyBytes}, client)
	count := func(t *testing.T) uint64 {
		st, err := js.Stream(context.Background(), "EVENTS")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}

	f.Fuzz(func(t *testing.T, body []byte, atomic string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		before := count(t)
		r := httptest.NewRequest(http.MethodPost, "/events", strings.NewReader(string(body)))
		if atomic != "" {
			r.URL.RawQuery = url.Values{AtomicParam: {atomic}}.Encode()
		}
		r.Header.Set("Content-Type", MediaTypeBatch)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r.WithContext(ctx))
		if rec.Code >= 500 {
			t.Fatalf("handler answered %d: %s", rec.Code, rec.Body)
		}
		grew := count(t) - before
		mode, modeErr := batchMode(r)
		if modeErr != nil || mode != broker.BatchAtomic {
			return
		}
		if rec.Code != http.StatusAccepted {
			if grew != 0 {
				t.Fatalf("answer %d but %d messages stored: %s", rec.Code, grew, rec.Body)
			}
			return
		}
		var ans batchAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			t.Fatalf("202 without a batch answer: %s", rec.Body)
		}
		if grew != uint64(ans.Accepted) || ans.Accepted != len(ans.Results) {
			t.Fatalf("202 for %d events (%d results) but %d messages stored", ans.Accepted, len(ans.Results), grew)
		}
	})
}
