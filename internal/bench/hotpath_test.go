package bench

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/workers"
)

// Benchmarks of per-event work that the packages' own benchmarks do not
// cover: filter evaluation, the dedup id, parsing an ingest request, the
// copy of the event a worker hands its handler and the consume path's
// decode. Run with: go test -run '^$' -bench . -benchmem ./internal/bench

// hotEvent is a typical decoded event.
func hotEvent(b *testing.B) *event.Event {
	e := event.New()
	e.SetID("2f0e1c5a-6a8e-4f57-9d7b-0d1f3c2e4b6a")
	e.SetSource("/shop/api")
	e.SetType("com.example.order.created")
	e.SetSubject("order/42")
	e.SetTime(time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC))
	e.SetExtension("tenant", "acme")
	if err := e.SetData(event.ApplicationJSON, map[string]any{"id": 42, "total": "129.90"}); err != nil {
		b.Fatal(err)
	}
	return &e
}

func BenchmarkFilterMatch(b *testing.B) {
	e := hotEvent(b)
	tests := []struct {
		name    string
		filters []workers.FilterSpec
	}{
		{"none", nil},
		{"exact-type", []workers.FilterSpec{{Exact: map[string]string{"type": "com.example.order.created"}}}},
		{"prefix-suffix", []workers.FilterSpec{
			{Prefix: map[string]string{"type": "com.example."}},
			{Suffix: map[string]string{"source": "/api"}},
		}},
		{"any-of-3-exact", []workers.FilterSpec{{Any: []workers.FilterSpec{
			{Exact: map[string]string{"type": "com.example.order.cancelled"}},
			{Exact: map[string]string{"type": "com.example.order.paid"}},
			{Exact: map[string]string{"type": "com.example.order.created"}},
		}}}},
		{"extension", []workers.FilterSpec{{Exact: map[string]string{"tenant": "acme"}}}},
		{"cesql-like", []workers.FilterSpec{{CESQL: "source LIKE '/shop/%'"}}},
		{"cesql-and", []workers.FilterSpec{{CESQL: "type = 'com.example.order.created' AND tenant = 'acme' AND subject LIKE 'order/%'"}}},
	}
	for _, tt := range tests {
		f, err := workers.CompileFilters(tt.filters)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := f.Match(e); !ok || err != nil {
					b.Fatalf("Match = %v, %v", ok, err)
				}
			}
		})
	}
}

func BenchmarkCompileFilters(b *testing.B) {
	fs := []workers.FilterSpec{
		{Exact: map[string]string{"type": "com.example.order.created"}},
		{CESQL: "source LIKE '/shop/%' AND tenant = 'acme'"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := workers.CompileFilters(fs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDedupID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = broker.DedupID("/shop/api", "2f0e1c5a-6a8e-4f57-9d7b-0d1f3c2e4b6a")
	}
}

func BenchmarkParseRequest(b *testing.B) {
	body := []byte(`{"id":42,"customer":"c-1001","items":["sku-1","sku-2","sku-3"],"total":"129.90"}`)
	structured := []byte(`{"specversion":"1.0","id":"1","source":"/shop/api","type":"com.example.order.created","datacontenttype":"application/json","data":` + string(body) + `}`)
	batch := []byte("[" + string(structured) + "," + string(structured) + "]")
	tests := []struct {
		name   string
		body   []byte
		header http.Header
	}{
		{"binary", body, http.Header{
			"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"1"},
			"Ce-Source": {"/shop/api"}, "Ce-Type": {"com.example.order.created"}, "Ce-Tenant": {"acme"},
		}},
		{"structured", structured, http.Header{"Content-Type": {"application/cloudevents+json"}}},
		{"batch-of-2", batch, http.Header{"Content-Type": {"application/cloudevents-batch+json"}}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.body)))
			for b.Loop() {
				r, err := http.NewRequest(http.MethodPost, "/events", bytes.NewReader(tt.body))
				if err != nil {
					b.Fatal(err)
				}
				r.Header = tt.header
				if _, err := triggers.ParseRequest(r, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEventContextClone is the copy of the event context the worker
// used to make for every handler call; it now hands over the decoded
// event itself, so this is what that saves per event.
func BenchmarkEventContextClone(b *testing.B) {
	e := hotEvent(b)
	b.ReportAllocs()
	for b.Loop() {
		in := *e
		in.Context = e.Context.Clone()
		_ = in
	}
}

// BenchmarkConsumeDecode is the broker's share of one delivery on the
// consume side: decode the message a worker pulled.
func BenchmarkConsumeDecode(b *testing.B) {
	body, ctype := payload(256)
	e := newEvent(1, ctype, body)
	e.SetTime(time.Now())
	msg, err := broker.EncodeMsg(broker.Subject("events", benchType), &e)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg.Data)))
	for b.Loop() {
		if _, err := broker.DecodeMsg(msg.Header, msg.Data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewBenchEvent is the publisher's cost of building an event in
// the pipeline scenario, for comparison with the encode benchmarks of
// package broker.
func BenchmarkNewBenchEvent(b *testing.B) {
	body, ctype := payload(256)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		e := newEvent(i, ctype, body)
		if _, err := broker.EncodeMsg("events."+benchType+"."+strconv.Itoa(i%10), &e); err != nil {
			b.Fatal(err)
		}
	}
}
