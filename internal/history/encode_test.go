package history

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestAppendRecordIsJSON: the recorder's encoding reads back, with
// encoding/json, as the record it wrote, whatever the strings hold.
func TestAppendRecordIsJSON(t *testing.T) {
	recs := []Record{
		{Function: "f", Attempt: 1, Outcome: "ok", Time: time.Unix(1700000000, 5).UTC()},
		{Function: "f.g", EventID: "id\"1\\", Type: "t\n\t\x01<&>", Source: "/s\u00e9\u2028", Stream: "EV", Seq: 42,
			Subject: "a.b", Attempt: 3, Outcome: "retry", Duration: Duration(1500 * time.Microsecond),
			Error: "bad \xff byte", TraceID: "0af7651916cd43dd8448eb211c80319c", Replica: "r-1",
			Time: time.Date(2026, 12, 2, 8, 0, 0, 123456789, time.FixedZone("x", 3600))},
	}
	for _, want := range recs {
		line := appendRecord(nil, &want)
		var got Record
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		std, _ := json.Marshal(want)
		var viaStd Record
		_ = json.Unmarshal(std, &viaStd)
		if !reflect.DeepEqual(got, viaStd) || !got.Time.Equal(want.Time) {
			t.Errorf("appendRecord %s\nreads as %+v\nencoding/json reads %+v", line, got, viaStd)
		}
	}
}

func BenchmarkAppendRecord(b *testing.B) {
	rec := Record{Function: "f", EventID: "id-1", Type: "com.example.bench", Source: "/bench", Stream: "EVENTS", Seq: 123456,
		Subject: "fnmesh.events.x", Attempt: 1, Outcome: "ok", Duration: Duration(1234 * time.Microsecond),
		TraceID: "0af7651916cd43dd8448eb211c80319c", Replica: "r-1", Time: time.Now()}
	var buf []byte
	b.Run("append", func(b *testing.B) {
		for b.Loop() {
			buf = appendRecord(buf[:0], &rec)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			buf, _ = json.Marshal(rec)
		}
	})
}
