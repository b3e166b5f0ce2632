package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestHTTPAdapterRequestSDKInterop: the cloudevents sdk-go HTTP binding, on
// the receiving side, reproduces the event exactly from the request.
func TestHTTPAdapterRequestSDKInterop(t *testing.T) {
	got := make(chan *event.Event, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := cehttp.NewMessageFromHttpRequest(r)
		if enc := msg.ReadEncoding(); enc != binding.EncodingBinary {
			t.Errorf("request encoding = %v, want binary", enc)
		}
		e, err := binding.ToEvent(r.Context(), msg)
		if err != nil {
			t.Errorf("binding.ToEvent: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- e
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	in := testEvent(t, "evt-42")
	in.SetDataSchema("https://example.com/schemas/order.json")
	out, err := NewHTTPAdapter(srv.URL, srv.Client()).Handle(context.Background(), in)
	if err != nil || len(out) != 0 {
		t.Fatalf("Handle = %v, %v; want no events, nil", out, err)
	}
	e := <-got
	want, _ := json.Marshal(in)
	have, _ := json.Marshal(e)
	if !bytes.Equal(want, have) {
		t.Errorf("event received by sdk-go\n got %s\nwant %s", have, want)
	}
}

// TestHTTPAdapterRequestGolden pins the exact request, including the
// percent-encoding of header values that are not plain printable ASCII.
func TestHTTPAdapterRequestGolden(t *testing.T) {
	var dump bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(&dump, "%s %s\n", r.Method, r.URL.Path)
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			if k == "Content-Type" || strings.HasPrefix(k, "Ce-") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&dump, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
		fmt.Fprintf(&dump, "\n%s\n", body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	in := testEvent(t, "id with space")
	in.SetSubject(`Straße "7" 100%`)
	in.SetExtension("count", 7)
	in.SetExtension("flag", true)
	if _, err := NewHTTPAdapter(srv.URL+"/fn", nil).Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	golden(t, "http_request.golden", dump.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestHTTPAdapterStatus(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		wantErr    bool
		permanent  bool
		retryAfter time.Duration // 0: none; -1: any positive delay
		wantTypes  []string
	}{
		{name: "200 empty", status: 200},
		{name: "200 plain JSON", status: 200, header: map[string]string{"Content-Type": "application/json"}, body: `{"ok":true}`},
		{name: "200 binary event", status: 200,
			header: map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "r1", "Ce-Source": "/echo", "Ce-Type": "com.example.echoed", "Content-Type": "application/json"},
			body:   `{"echo":1}`, wantTypes: []string{"com.example.echoed"}},
		{name: "200 structured event", status: 200,
			header:    map[string]string{"Content-Type": "application/cloudevents+json; charset=utf-8"},
			body:      `{"specversion":"1.0","id":"r2","source":"/echo","type":"com.example.structured"}`,
			wantTypes: []string{"com.example.structured"}},
		{name: "200 batch", status: 200,
			header:    map[string]string{"Content-Type": "application/cloudevents-batch+json"},
			body:      `[{"specversion":"1.0","id":"a","source":"/echo","type":"t.a"},{"specversion":"1.0","id":"b","source":"/echo","type":"t.b"}]`,
			wantTypes: []string{"t.a", "t.b"}},
		{name: "200 invalid binary event", status: 200, header: map[string]string{"Ce-Specversion": "1.0", "Ce-Source": "/echo"},
			wantErr: true, permanent: true},
		{name: "200 invalid structured event", status: 200, header: map[string]string{"Content-Type": "application/cloudevents+json"},
			body: `{"specversion":"1.0"}`, wantErr: true, permanent: true},
		{name: "202", status: 202},
		{name: "204", status: 204},
		{name: "400", status: 400, body: "missing field orderId", wantErr: true, permanent: true},
		{name: "401", status: 401, wantErr: true, permanent: true},
		{name: "413", status: 413, wantErr: true, permanent: true},
		{name: "404", status: 404, wantErr: true},
		{name: "408", status: 408, wantErr: true},
		{name: "409", status: 409, wantErr: true},
		{name: "429", status: 429, wantErr: true},
		{name: "500", status: 500, wantErr: true},
		{name: "503", status: 503, wantErr: true},
		{name: "429 Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "7"}, wantErr: true, retryAfter: 7 * time.Second},
		{name: "503 Retry-After date", status: 503, header: map[string]string{"Retry-After": date}, wantErr: true, retryAfter: -1},
		{name: "503 Retry-After garbage", status: 503, header: map[string]string{"Retry-After": "soon"}, wantErr: true},
		{name: "400 Retry-After ignored", status: 400, header: map[string]string{"Retry-After": "7"}, wantErr: true, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			out, err := NewHTTPAdapter(srv.URL, nil).Handle(context.Background(), testEvent(t, "e"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.permanent)
			}
			if err != nil && tt.status >= 300 {
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != tt.status {
					t.Errorf("error %v: want a *StatusError with status %d", err, tt.status)
				}
				if !strings.Contains(err.Error(), tt.body) {
					t.Errorf("error %q does not quote the body %q", err, tt.body)
				}
			}
			if tt.status < 300 && err != nil && !errors.Is(err, ErrInvalidReply) {
				t.Errorf("errors.Is(%v, ErrInvalidReply) = false", err)
			}
			d, ok := retryDelay(err)
			switch {
			case tt.retryAfter == 0 && ok:
				t.Errorf("unexpected retry delay %s", d)
			case tt.retryAfter > 0 && d != tt.retryAfter:
				t.Errorf("retry delay = %s (found %v), want %s", d, ok, tt.retryAfter)
			case tt.retryAfter < 0 && (!ok || d <= 0 || d > 91*time.Second):
				t.Errorf("retry delay = %s (found %v), want about 90s", d, ok)
			}
			var types []string
			for _, e := range out {
				types = append(types, e.Type())
			}
			if strings.Join(types, ",") != strings.Join(tt.wantTypes, ",") {
				t.Errorf("returned types = %v, want %v", types, tt.wantTypes)
			}
		})
	}
}

func TestHTTPAdapterBinaryReplyDecoded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Ce-Specversion", "1.0")
		h.Set("Ce-Id", "r%201")
		h.Set("Ce-Source", "/echo")
		h.Set("Ce-Type", "com.example.echoed")
		h.Set("Ce-Subject", "Stra%C3%9Fe%20%227%22%20100%25")
		h.Set("Ce-Time", "2025-03-01T12:30:00Z")
		h.Set("Ce-Tenant", "acme")
		h.Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	}))
	defer srv.Close()
	out, err := NewHTTPAdapter(srv.URL, nil).Handle(context.Background(), testEvent(t, "e"))
	if err != nil || len(out) != 1 {
		t.Fatalf("Handle = %v, %v; want one event", out, err)
	}
	e := out[0]
	checks := []struct{ name, got, want string }{
		{"id", e.ID(), "r 1"},
		{"subject", e.Subject(), `Straße "7" 100%`},
		{"time", e.Time().UTC().Format(time.RFC3339), "2025-03-01T12:30:00Z"},
		{"tenant", fmt.Sprint(e.Extensions()["tenant"]), "acme"},
		{"datacontenttype", e.DataContentType(), "text/plain"},
		{"data", string(e.Data()), "hello"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestHTTPAdapterNoAnswer(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = NewHTTPAdapter("http://"+addr+"/", nil).Handle(context.Background(), testEvent(t, "e"))
		if err == nil || IsPermanent(err) {
			t.Fatalf("err = %v, want a retryable error", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := NewHTTPAdapter(srv.URL, nil).Handle(ctx, testEvent(t, "e"))
		if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a retryable deadline error", err)
		}
	})
}

func TestHTTPAdapterBadURL(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://example.com/x", "http://", "http://%zz"} {
		_, err := NewHTTPAdapter(u, nil).Handle(context.Background(), testEvent(t, "e"))
		if !IsPermanent(err) || !strings.Contains(err.Error(), "url") {
			t.Errorf("NewHTTPAdapter(%q): err = %v, want a permanent error naming the url", u, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"Sat, 01 Mar 2025 12:01:30 GMT", 90 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true},
		{"Saturday, 01-Mar-25 12:00:10 GMT", 10 * time.Second, true},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
