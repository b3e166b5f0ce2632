package cebind

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// benchBatch is a batch of n events as `fnmesh bench ingest --batch` posts
// them: the required attributes, datacontenttype and 256 bytes of JSON data.
func benchBatch(n int) []byte {
	data := `{"p":"` + strings.Repeat("x", 248) + `"}`
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"specversion":"1.0","id":"`)
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(`","source":"/fnmesh/bench","type":"fnmesh.bench","datacontenttype":"application/json","data":` + data + `}`)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkParseJSONBatch parses a batch of 1,000 events under Strict; the
// figures are per batch (divide by 1,000 for one event).
func BenchmarkParseJSONBatch(b *testing.B) {
	body := benchBatch(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSONBatch(body, Strict); err != nil {
			b.Fatal(err)
		}
	}
}
