package history

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// testRecords hold every field, strings that need escapes and invalid
// UTF-8, and fields that differ from the first record's (empty ones too).
func testRecords() []Record {
	return []Record{
		{Function: "f.g", EventID: "id\"1\\", Type: "t\n\t\x01<&>", Source: "/s\u00e9\u2028", Stream: "EV", Seq: 42,
			Subject: "a.b", Attempt: 3, Outcome: "retry", Duration: Duration(1500 * time.Microsecond),
			Error: "bad \xff byte", TraceID: "0af7651916cd43dd8448eb211c80319c", Replica: "r-1",
			Time: time.Date(2026, 12, 2, 8, 0, 0, 123456789, time.FixedZone("x", 3600))},
		{Function: "f", Attempt: 1, Outcome: "ok", Time: time.Unix(1700000000, 5).UTC()},
		{Function: "f.g", EventID: "e-2", Type: "other", Source: "/s\u00e9\u2028", Stream: "EV", Seq: 43,
			Subject: "a.c", Attempt: 1, Outcome: "ok", Replica: "r-1", Time: time.Unix(1700000001, 0).UTC()},
	}
}

// viaStd is rec written and read back by encoding/json (what the
// encoding must read as: invalid UTF-8 replaced).
func viaStd(t *testing.T, rec Record) Record {
	t.Helper()
	std, _ := json.Marshal(rec)
	var got Record
	if err := json.Unmarshal(std, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

func sameRecord(got, want Record) bool {
	eq := got.Time.Equal(want.Time)
	got.Time, want.Time = time.Time{}, time.Time{}
	return eq && reflect.DeepEqual(got, want)
}

// TestAppendRecordIsJSON: a record line without a header reads back, with
// encoding/json, as the record it wrote, whatever the strings hold.
func TestAppendRecordIsJSON(t *testing.T) {
	for _, want := range testRecords() {
		line := appendRecord(nil, &want, &Record{})
		var got Record
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if std := viaStd(t, want); !sameRecord(got, std) {
			t.Errorf("appendRecord %s\nreads as %+v\nencoding/json reads %+v", line, got, std)
		}
	}
}

// TestBatchReadsBackItsRecords: a batch with a header reads back as its
// records, those that differ from the header's fields included, and is
// smaller than the full records.
func TestBatchReadsBackItsRecords(t *testing.T) {
	recs := testRecords()
	def := shared(&recs[0])
	data := appendHeader(nil, &def)
	var full []byte
	for i := range recs {
		data = appendRecord(data, &recs[i], &def)
		full = appendRecord(full, &recs[i], &Record{})
	}
	if records(data) != len(recs) || records(full) != len(recs) {
		t.Errorf("records = %d and %d, want %d", records(data), records(full), len(recs))
	}
	for _, msg := range [][]byte{data, full} {
		var got []Record
		eachRecord(msg, nil, func(r Record) { got = append(got, r) })
		if len(got) != len(recs) {
			t.Fatalf("read %d records of %s", len(got), msg)
		}
		for i := range recs {
			if std := viaStd(t, recs[i]); !sameRecord(got[i], std) {
				t.Errorf("record %d of\n%s\nreads as %+v\nwant %+v", i, msg, got[i], std)
			}
		}
	}
	var found []string
	eachRecord(data, appendField(nil, "eventId", "e-2"), func(r Record) { found = append(found, r.EventID) })
	if !reflect.DeepEqual(found, []string{"e-2"}) {
		t.Errorf("needle e-2 found %q", found)
	}
}

// TestOldMessagesStayReadable: full records without a header, as they
// were stored before the header, read as before.
func TestOldMessagesStayReadable(t *testing.T) {
	old := []byte(`{"function":"f","eventId":"e-1","type":"t","source":"/s","stream":"EVENTS","seq":7,"subject":"events.t","attempt":2,"outcome":"retry","duration":"1.5ms","error":"boom","traceId":"0af7651916cd43dd8448eb211c80319c","replica":"f-1","time":"2026-12-02T08:00:00.5Z"}
{"function":"g","attempt":1,"outcome":"ok","duration":"1ms","time":"2026-12-02T08:00:01Z"}
`)
	want := []Record{
		{Function: "f", EventID: "e-1", Type: "t", Source: "/s", Stream: "EVENTS", Seq: 7, Subject: "events.t", Attempt: 2, Outcome: "retry",
			Duration: Duration(1500 * time.Microsecond), Error: "boom", TraceID: "0af7651916cd43dd8448eb211c80319c", Replica: "f-1",
			Time: time.Date(2026, 12, 2, 8, 0, 0, 5e8, time.UTC)},
		{Function: "g", Attempt: 1, Outcome: "ok", Duration: Duration(time.Millisecond), Time: time.Date(2026, 12, 2, 8, 0, 1, 0, time.UTC)},
	}
	var got []Record
	eachRecord(old, nil, func(r Record) { got = append(got, r) })
	if len(got) != len(want) || !sameRecord(got[0], want[0]) || !sameRecord(got[1], want[1]) {
		t.Errorf("old records read as %+v, want %+v", got, want)
	}
}

// FuzzEachRecord: whatever a history message holds, reading it does not
// crash, and every record it yields has a function and an outcome.
func FuzzEachRecord(f *testing.F) {
	recs := testRecords()
	def := shared(&recs[0])
	data := appendHeader(nil, &def)
	for i := range recs {
		data = appendRecord(data, &recs[i], &def)
	}
	f.Add(data)
	f.Add([]byte(`{"batch":2,"function":"f"}` + "\n" + `{"attempt":1,"outcome":"ok","duration":"1ms","time":"2026-12-02T08:00:01Z"}`))
	f.Add([]byte(`{"batch":"x"}` + "\n" + `{"function":"g","outcome":"ok"}`))
	f.Add([]byte(`{"function":"g","attempt":1,"outcome":"ok","duration":"1ms","time":"2026-12-02T08:00:01Z"}`))
	f.Add([]byte("\n\n{\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		eachRecord(msg, nil, func(r Record) {
			if r.Function == "" || r.Outcome == "" {
				t.Errorf("record without function or outcome: %+v", r)
			}
		})
		_ = records(msg)
		eachRecord(msg, []byte(`,"eventId":"e"`), func(r Record) {
			if r.Function == "" || r.Outcome == "" {
				t.Errorf("record without function or outcome: %+v", r)
			}
		})
	})
}

func BenchmarkAppendRecord(b *testing.B) {
	rec := Record{Function: "f", EventID: "id-1", Type: "com.example.bench", Source: "/bench", Stream: "EVENTS", Seq: 123456,
		Subject: "fnmesh.events.x", Attempt: 1, Outcome: "ok", Duration: Duration(1234 * time.Microsecond),
		TraceID: "0af7651916cd43dd8448eb211c80319c", Replica: "r-1", Time: time.Now()}
	var buf []byte
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			buf = appendRecord(buf[:0], &rec, &Record{})
		}
		b.ReportMetric(float64(len(buf)), "bytes/record")
	})
	b.Run("batched", func(b *testing.B) {
		def := shared(&rec)
		for b.Loop() {
			buf = appendRecord(buf[:0], &rec, &def)
		}
		b.ReportMetric(float64(len(buf)), "bytes/record")
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			buf, _ = json.Marshal(rec)
		}
	})
}
