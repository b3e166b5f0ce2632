package triggers

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzRouteRequest sends arbitrary methods, headers, query strings and
// bodies to an HTTP route publishing to a real broker. The route must never
// panic and never answer 5xx; a 202 must name the stored event's id.
func FuzzRouteRequest(f *testing.F) {
	f.Add(true, "", "region=eu&tenant=a", "X-Tenant", "acme", "order-1", "application/json", []byte(`{"sku":"A1"}`))
	f.Add(true, "", "region=%zz", "X-Tenant", "\xff", "", "", []byte{})
	f.Add(false, "GET", "", "Idempotency-Key", "", " ", "text/", []byte("x"))
	f.Add(true, "", "region=a%00b;c", "Content-Type", "a/b; c=\"", "k\x01", "text/plain; charset=\"utf-8\"", []byte("\x00\xff"))
	f.Add(true, "", "region="+url.QueryEscape("100% \"sure\""), "X-Tenant", "  spaced  ", "100% \"sure\"", "application/cloudevents+json", []byte(`{"specversion":"1.0"}`))

	env := newTrEnv(f, 0)
	cfg := routeTrigger(func(c *RouteConfig) {
		c.Headers = map[string]string{"X-Tenant": "tenant"}
		c.Query = map[string]string{"region": "region", "tenant": "tenantq"}
		c.MaxBodyBytes = 64 << 10
	})
	rt, err := NewRoute(cfg, env.client)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, post bool, method, rawQuery, hdrName, hdrValue, key, contentType string, body []byte) {
		if post {
			method = http.MethodPost
		}
		req := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: "/orders", RawQuery: rawQuery},
			Header:     http.Header{},
			Body:       io.NopCloser(bytes.NewReader(body)),
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			RemoteAddr: "127.0.0.1:1234",
			RequestURI: "/orders?" + rawQuery,
		}
		if hdrName != "" {
			req.Header[hdrName] = []string{hdrValue}
		}
		if key != "" {
			req.Header.Set(IdempotencyKeyHeader, key)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req.WithContext(t.Context()))
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Code == http.StatusAccepted {
			var got acceptedBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ID == "" {
				t.Fatalf("202 body %s: %v", rec.Body, err)
			}
		}
	})
}
