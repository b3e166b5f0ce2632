package triggers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// malformedCase is a request that must be refused without storing anything.
type malformedCase struct {
	name   string
	method string // POST when empty
	header http.Header
	body   string
	// reader, when set, replaces body (to send without Content-Length).
	reader func() io.Reader
	status int
	attr   string // expected "attribute" of the answer
	rule   string // expected "rule" of the answer
	index  int    // expected "index" (-1: none)
}

func malformedCases() []malformedCase {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	bin := func(name string, kv []string, attr, rule string) malformedCase {
		return malformedCase{name: "binary/" + name, header: binaryHeaders(kv...), body: "hello",
			status: http.StatusBadRequest, attr: attr, rule: rule, index: -1}
	}
	st := func(name string, replace map[string]any, attr, rule string) malformedCase {
		return malformedCase{name: "structured/" + name, header: structuredHeaders(), body: structuredBody(replace),
			status: http.StatusBadRequest, attr: attr, rule: rule, index: -1}
	}
	stRaw := func(name, body, attr, rule string) malformedCase {
		return malformedCase{name: "structured/" + name, header: structuredHeaders(), body: body,
			status: http.StatusBadRequest, attr: attr, rule: rule, index: -1}
	}
	cases := []malformedCase{
		bin("missing specversion", []string{"ce-specversion", ""}, "specversion", ruleRequired),
		bin("missing id", []string{"ce-id", ""}, "id", ruleRequired),
		bin("missing source", []string{"ce-source", ""}, "source", ruleRequired),
		bin("missing type", []string{"ce-type", ""}, "type", ruleRequired),
		bin("empty id", []string{"ce-id", "%20"}, "id", ruleNonEmpty),
		bin("empty source", []string{"ce-source", "%20"}, "source", ruleNonEmpty),
		bin("empty type", []string{"ce-type", "%20%20"}, "type", ruleNonEmpty),
		bin("quoted source is not a URI-reference", []string{"ce-source", `""`}, "source", ruleURIRef),
		bin("specversion 0.3", []string{"ce-specversion", "0.3"}, "specversion", ruleSpecVersion),
		bin("specversion 19.0", []string{"ce-specversion", "19.0"}, "specversion", ruleSpecVersion),
		bin("extension name with dash", []string{"ce-my-ext", "x"}, "my-ext", ruleNameChars),
		bin("extension name too long", []string{"ce-abcdefghijklmnopqrstu", "x"}, "abcdefghijklmnopqrstu", ruleNameLen),
		bin("extension named data", []string{"ce-data", "x"}, "data", ruleNameReserved),
		bin("invalid UTF-8 in header", []string{"ce-id", "caf\xe9"}, "id", ruleUTF8),
		bin("overlong UTF-8 percent-encoded", []string{"ce-id", "a%C0%A0b"}, "id", ruleUTF8),
		bin("control character", []string{"ce-subject", "line%0Abreak"}, "subject", ruleChars),
		bin("source not a URI-reference", []string{"ce-source", "a%20b"}, "source", ruleURIRef),
		bin("dataschema not absolute", []string{"ce-dataschema", "schemas/x.json"}, "dataschema", ruleURI),
		bin("time not RFC 3339", []string{"ce-time", "yesterday"}, "time", ruleTime),
		bin("ce-datacontenttype header", []string{"ce-datacontenttype", "text/plain"}, "datacontenttype", ruleCEContentType),
		bin("bad Content-Type", []string{"content-type", "text/"}, "datacontenttype", ruleMediaType),
		bin("JSON Content-Type, body not JSON", []string{"content-type", "application/json"}, "data",
			`must be valid JSON, as Content-Type "application/json" says (offset 1: invalid character 'h' looking for beginning of value)`),
		{name: "binary/attribute twice", header: func() http.Header {
			h := binaryHeaders()
			h["Ce-Id"] = []string{"a", "b"}
			return h
		}(), body: "x", status: http.StatusBadRequest, attr: "id", rule: ruleOnce, index: -1},

		st("missing specversion", map[string]any{"specversion": nil}, "specversion", ruleRequired),
		st("missing id", map[string]any{"id": nil}, "id", ruleRequired),
		st("missing source", map[string]any{"source": nil}, "source", ruleRequired),
		st("missing type", map[string]any{"type": nil}, "type", ruleRequired),
		st("null id", map[string]any{"id": raw("null")}, "id", ruleRequired),
		st("empty id", map[string]any{"id": ""}, "id", ruleNonEmpty),
		st("empty source", map[string]any{"source": ""}, "source", ruleNonEmpty),
		st("empty type", map[string]any{"type": " "}, "type", ruleNonEmpty),
		st("specversion 0.3", map[string]any{"specversion": "0.3"}, "specversion", ruleSpecVersion),
		st("specversion 19.0", map[string]any{"specversion": "19.0"}, "specversion", ruleSpecVersion),
		st("specversion a number", map[string]any{"specversion": 1.0}, "specversion", ruleString),
		st("id a number", map[string]any{"id": 7}, "id", ruleString),
		st("upper case name", map[string]any{"myExt": "x"}, "myExt", ruleNameChars),
		st("name with dash", map[string]any{"my-ext": "x"}, "my-ext", ruleNameChars),
		st("name too long", map[string]any{"abcdefghijklmnopqrstu": "x"}, "abcdefghijklmnopqrstu", ruleNameLen),
		st("data and data_base64", map[string]any{"data_base64": "aGk="}, "data", ruleDataExclusive),
		st("invalid base64", map[string]any{"data": nil, "data_base64": "not base64!"}, "data_base64", ruleBase64),
		st("data_base64 not a string", map[string]any{"data": nil, "data_base64": 12}, "data_base64", ruleString),
		st("extension object", map[string]any{"ext": map[string]any{"a": 1}}, "ext", ruleExtValue),
		st("extension array", map[string]any{"ext": []int{1}}, "ext", ruleExtValue),
		st("extension fraction", map[string]any{"ext": raw("1.5")}, "ext", ruleInteger),
		st("extension exponent", map[string]any{"ext": raw("1e3")}, "ext", ruleInteger),
		st("extension over int32", map[string]any{"ext": raw("2147483648")}, "ext", ruleInteger),
		st("unpaired surrogate", map[string]any{"id": raw(`"a\ud800b"`)}, "id", ruleSurrogate),
		st("noncharacter", map[string]any{"subject": "a\ufffe"}, "subject", ruleChars),
		st("control character", map[string]any{"subject": "a\u0085"}, "subject", ruleChars),
		st("time not RFC 3339", map[string]any{"time": "2024-13-01T00:00:00Z"}, "time", ruleTime),
		st("source not a URI-reference", map[string]any{"source": "a b"}, "source", ruleURIRef),
		st("non-JSON data not a string", map[string]any{"datacontenttype": "text/plain"}, "data", ruleDataString),
		stRaw("duplicate member", `{"specversion":"1.0","id":"a","id":"b","source":"/s","type":"t"}`, "id", ruleOnce),
		stRaw("invalid UTF-8 in JSON", "{\"specversion\":\"1.0\",\"id\":\"caf\xe9\",\"source\":\"/s\",\"type\":\"t\"}", "", ruleUTF8+" (invalid byte at offset 30)"),
		stRaw("invalid JSON", `{"specversion":"1.0",`, "", "must be valid JSON (offset 21: unexpected end of JSON input)"),
		stRaw("not an object", `["specversion"]`, "", ruleBodyObject),
		stRaw("empty body", ``, "", "must be valid JSON (offset 0: unexpected end of JSON input)"),

		{name: "batch/empty", header: batchHeaders(), body: `[]`, status: http.StatusBadRequest, rule: ruleBodyEmptyBatch, index: -1},
		{name: "batch/not an array", header: batchHeaders(), body: structuredBody(nil), status: http.StatusBadRequest, rule: ruleBodyArray, index: -1},
		{name: "batch/one bad event", header: batchHeaders(),
			body:   "[" + structuredBody(map[string]any{"id": "a"}) + "," + structuredBody(map[string]any{"id": "b"}) + "," + structuredBody(map[string]any{"id": "c", "type": nil}) + "]",
			status: http.StatusBadRequest, attr: "type", rule: ruleRequired, index: 2},

		{name: "media type/text without ce- headers", header: http.Header{"Content-Type": {"text/plain"}}, body: "hi", status: http.StatusUnsupportedMediaType, index: -1},
		{name: "media type/none", header: http.Header{}, body: "hi", status: http.StatusUnsupportedMediaType, index: -1},
		{name: "media type/cloudevents xml", header: http.Header{"Content-Type": {"application/cloudevents+xml"}}, body: "<e/>", status: http.StatusUnsupportedMediaType, index: -1},
		{name: "media type/latin1 charset", header: http.Header{"Content-Type": {MediaTypeStructured + "; charset=iso-8859-1"}}, body: structuredBody(nil), status: http.StatusUnsupportedMediaType, index: -1},

		{name: "method/GET", method: http.MethodGet, header: binaryHeaders(), status: http.StatusMethodNotAllowed, index: -1},
		{name: "method/PUT", method: http.MethodPut, header: binaryHeaders(), body: "x", status: http.StatusMethodNotAllowed, index: -1},
		{name: "method/DELETE", method: http.MethodDelete, header: binaryHeaders(), status: http.StatusMethodNotAllowed, index: -1},

		{name: "size/over limit with Content-Length", header: binaryHeaders(), body: strings.Repeat("x", 64<<10+1), status: http.StatusRequestEntityTooLarge, index: -1},
		{name: "size/over limit chunked", header: binaryHeaders(),
			reader: func() io.Reader {
				return io.MultiReader(strings.NewReader(strings.Repeat("y", 64<<10)), strings.NewReader("z"))
			},
			status: http.StatusRequestEntityTooLarge, index: -1},
	}
	return cases
}

// TestIngestMalformed sends every malformed request to a real ingest and
// checks the status, the JSON body naming the attribute and rule, and that
// nothing was stored. The answers are also kept in
// testdata/ingest_malformed.golden.
func TestIngestMalformed(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{MaxBodyBytes: MinMaxBodyBytes})
	var golden bytes.Buffer
	for _, tc := range malformedCases() {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			var r io.Reader = strings.NewReader(tc.body)
			if tc.reader != nil {
				r = struct{ io.Reader }{tc.reader()} // hides the length: chunked
			}
			a := ingestDo(t, method, env.url, tc.header, r)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			eb := a.errorJSON(t)
			if eb.Error == "" {
				t.Errorf("no error message: %s", a.body)
			}
			if eb.Attribute != tc.attr || (tc.rule != "" && eb.Rule != tc.rule) {
				t.Errorf("attribute %q rule %q, want %q %q", eb.Attribute, eb.Rule, tc.attr, tc.rule)
			}
			switch {
			case tc.index < 0 && eb.Index != nil:
				t.Errorf("index %d, want none", *eb.Index)
			case tc.index >= 0 && (eb.Index == nil || *eb.Index != tc.index):
				t.Errorf("index %v, want %d", eb.Index, tc.index)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.status == http.StatusMethodNotAllowed && a.header.Get("Allow") != allowedMethods {
				t.Errorf("Allow %q, want %q", a.header.Get("Allow"), allowedMethods)
			}
			fmt.Fprintf(&golden, "### %s\n%d %s", tc.name, a.status, a.body)
		})
	}
	if n := len(env.stored(t)); n != 0 {
		t.Fatalf("%d events stored, want none", n)
	}
	checkIngestGolden(t, "ingest_malformed.golden", golden.Bytes())
}

// checkIngestGolden compares got with testdata/name, or rewrites it with -update.
func checkIngestGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("answers differ from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
