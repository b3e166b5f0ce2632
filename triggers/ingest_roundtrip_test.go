package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cloudevents/sdk-go/v2/types"
)

// fullEvent has every attribute, three extension types and data.
func fullEvent(t *testing.T, id, contentType string, data any) event.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetSource("https://example.com/shop/api?region=eu")
	e.SetType("com.example.order.created")
	e.SetSubject("orders/42 – ünïcode")
	e.SetTime(time.Date(2025, 3, 4, 5, 6, 7, 890123000, time.UTC))
	e.SetDataSchema("https://example.com/schemas/order.json")
	e.SetExtension("tenant", "acme")
	e.SetExtension("priority", int32(7))
	e.SetExtension("urgent", true)
	if err := e.SetData(contentType, data); err != nil {
		t.Fatal(err)
	}
	return e
}

// sameEvent fails unless got carries exactly want's attributes, extensions
// and data bytes. Extension values are compared in their canonical string
// form, the only type a binary-mode header keeps.
func sameEvent(t *testing.T, got *event.Event, want event.Event) {
	t.Helper()
	if got.SpecVersion() != want.SpecVersion() || got.ID() != want.ID() || got.Source() != want.Source() ||
		got.Type() != want.Type() || got.Subject() != want.Subject() || got.DataSchema() != want.DataSchema() ||
		got.DataContentType() != want.DataContentType() || !got.Time().Equal(want.Time()) {
		t.Errorf("attributes differ:\ngot  %s\nwant %s", got.Context, want.Context)
	}
	gx, wx := got.Extensions(), want.Extensions()
	if len(gx) != len(wx) {
		t.Errorf("extensions %v, want %v", gx, wx)
	}
	for k, wv := range wx {
		ws, _ := types.Format(wv)
		gs, err := types.Format(gx[k])
		if err != nil || gs != ws {
			t.Errorf("extension %s = %v, want %v", k, gx[k], wv)
		}
	}
	if !bytes.Equal(got.Data(), want.Data()) {
		t.Errorf("data %q, want %q", got.Data(), want.Data())
	}
}

// TestIngestSDKRoundTrip sends events with the CloudEvents Go SDK's HTTP
// client in binary and structured mode, and a JSON batch built with the
// SDK's marshalling, then reads them back from the stream.
func TestIngestSDKRoundTrip(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{})
	c, err := cloudevents.NewClientHTTP(cehttp.WithTarget(env.url))
	if err != nil {
		t.Fatal(err)
	}
	binaryData := []byte{0xff, 0x00, 0xfe, 'b', 'i', 'n', 0x80, 0xc3, 0x28}
	sent := []struct {
		name string
		ctx  context.Context
		e    event.Event
	}{
		{"binary/non-UTF-8 data", binding.WithForceBinary(context.Background()), fullEvent(t, "b-1", "application/octet-stream", binaryData)},
		{"binary/JSON data", binding.WithForceBinary(context.Background()), fullEvent(t, "b-2", "application/json", map[string]any{"sku": "x", "qty": 2})},
		{"binary/no data", binding.WithForceBinary(context.Background()), func() event.Event {
			e := fullEvent(t, "b-3", "text/plain", "")
			e.DataEncoded, e.Context.(*event.EventContextV1).DataContentType = nil, nil
			return e
		}()},
		{"structured/JSON data", binding.WithForceStructured(context.Background()), fullEvent(t, "s-1", "application/json", map[string]any{"sku": "x", "qty": 2})},
		{"structured/data_base64", binding.WithForceStructured(context.Background()), fullEvent(t, "s-2", "application/octet-stream", binaryData)},
		{"structured/text data", binding.WithForceStructured(context.Background()), fullEvent(t, "s-3", "text/plain; charset=utf-8", "plain text ✓")},
	}
	for _, s := range sent {
		res := c.Send(s.ctx, s.e)
		var hr *cehttp.Result
		if !cloudevents.ResultAs(res, &hr) || hr.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: send: %v", s.name, res)
		}
	}

	// A batch built with the SDK's JSON marshalling.
	batch := []event.Event{
		fullEvent(t, "j-1", "application/json", map[string]any{"a": []int{1, 2}}),
		fullEvent(t, "j-2", "application/octet-stream", binaryData),
		fullEvent(t, "j-3", "text/xml", "<order id=\"42\"/>"),
	}
	raw, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	a := ingestDo(t, http.MethodPost, env.url, batchHeaders(), bytes.NewReader(raw))
	if a.status != http.StatusAccepted {
		t.Fatalf("batch: %d %s", a.status, a.body)
	}
	var ba batchAnswer
	if err := json.Unmarshal(a.body, &ba); err != nil {
		t.Fatal(err)
	}
	if ba.Accepted != len(batch) || len(ba.Results) != len(batch) {
		t.Fatalf("batch answer %s", a.body)
	}
	for i, r := range ba.Results {
		if r.Index != i || r.ID != batch[i].ID() || !r.Stored || r.Stream != "EVENTS" || r.Seq != uint64(len(sent)+i+1) {
			t.Errorf("batch result %d: %+v", i, r)
		}
	}

	got := env.stored(t)
	if len(got) != len(sent)+len(batch) {
		t.Fatalf("%d events stored, want %d", len(got), len(sent)+len(batch))
	}
	for i, s := range sent {
		t.Run(s.name, func(t *testing.T) { sameEvent(t, got[i].Event, s.e) })
	}
	for i, e := range batch {
		t.Run("batch/"+e.ID(), func(t *testing.T) { sameEvent(t, got[len(sent)+i].Event, e) })
	}
}

// TestParseStructuredData checks how the "data" member becomes data bytes
// (JSON format section 3.1.2). The Go SDK writes "+json" data as a JSON
// string, so these are written by hand.
func TestParseStructuredData(t *testing.T) {
	tests := []struct {
		name     string
		members  string
		wantCT   string
		wantData string
		wantB64  bool
	}{
		{"JSON value kept byte for byte", `"datacontenttype":"application/json","data":{"b": [1, 2],"a":null}`, "application/json", `{"b": [1, 2],"a":null}`, false},
		{"+json suffix is JSON", `"datacontenttype":"application/vnd.order+json; v=2","data":[1,"two",null]`, "application/vnd.order+json; v=2", `[1,"two",null]`, false},
		{"JSON string stays a JSON string", `"datacontenttype":"text/json","data":"{\"a\":1}"`, "text/json", `"{\"a\":1}"`, false},
		{"explicit null payload", `"datacontenttype":"application/json","data":null`, "application/json", `null`, false},
		{"no datacontenttype means JSON", `"data":{"a":1}`, "application/json", `{"a":1}`, false},
		{"text data is the string content", `"datacontenttype":"text/plain","data":"a\nb \u00e9"`, "text/plain", "a\nb \u00e9", false},
		{"data_base64", `"datacontenttype":"image/png","data_base64":"iVBORw0KGgo="`, "image/png", "\x89PNG\r\n\x1a\n", true},
		{"null data_base64 is absent", `"data_base64":null`, "", "", false},
		{"no data", `"subject":"s"`, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"specversion":"1.0","id":"1","source":"/s","type":"t",` + tc.members + `}`
			req, err := http.NewRequest(http.MethodPost, "/events", strBody(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", MediaTypeStructured)
			events, err := ParseRequest(req, 0)
			if err != nil {
				t.Fatal(err)
			}
			e := events[0]
			if e.DataContentType() != tc.wantCT || string(e.Data()) != tc.wantData || e.DataBase64 != tc.wantB64 {
				t.Errorf("datacontenttype %q data %q base64 %v, want %q %q %v", e.DataContentType(), e.Data(), e.DataBase64, tc.wantCT, tc.wantData, tc.wantB64)
			}
		})
	}
}

// TestIngestStructuredDefaults checks the JSON format rules the SDK does not
// exercise: null members are absent, data without datacontenttype is JSON
// (and says so), integer and boolean extensions keep their types until
// they are stored.
func TestIngestStructuredDefaults(t *testing.T) {
	body := `{"specversion":"1.0","id":"n-1","source":"urn:example:src","type":"t","subject":null,` +
		`"count":-12,"flag":false,"note":"x y","gone":null,"data":"I'm just a string"}`
	req, err := http.NewRequest(http.MethodPost, "/events", strBody(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/cloudevents+json; charset=UTF-8")
	events, err := ParseRequest(req, 0)
	if err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if e.Subject() != "" || e.DataContentType() != "application/json" || string(e.Data()) != `"I'm just a string"` {
		t.Errorf("subject %q datacontenttype %q data %s", e.Subject(), e.DataContentType(), e.Data())
	}
	want := map[string]any{"count": int32(-12), "flag": false, "note": "x y"}
	if len(e.Extensions()) != len(want) {
		t.Errorf("extensions %v, want %v", e.Extensions(), want)
	}
	for k, v := range want {
		if e.Extensions()[k] != v {
			t.Errorf("extension %s = %#v, want %#v", k, e.Extensions()[k], v)
		}
	}
}
