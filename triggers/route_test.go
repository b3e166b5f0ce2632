package triggers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// routeTrigger is an HTTP trigger for tests; edit fills in the rest.
func routeTrigger(edit func(*RouteConfig)) RouteConfig {
	c := RouteConfig{
		Name:   "orders-api",
		Path:   "/orders",
		Method: "POST",
		Emit:   Emit{Type: "com.example.order.created", Source: "/shop/api"},
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// serveRoute builds the route and serves it on loopback; it returns the URL.
func serveRoute(t *testing.T, cfg RouteConfig, pub EventPublisher, opts ...Option) string {
	t.Helper()
	rt, err := NewRoute(cfg, pub, opts...)
	if err != nil {
		t.Fatalf("NewRoute: %v", err)
	}
	hs := httptest.NewServer(rt)
	t.Cleanup(hs.Close)
	return hs.URL + cfg.Path
}

func TestRouteIdempotencyKeyStoresOnce(t *testing.T) {
	env := newTrEnv(t, 0)
	before := time.Now()
	url := serveRoute(t, routeTrigger(nil), env.client)
	hdr := http.Header{"Idempotency-Key": {"order-4711"}, "Content-Type": {"application/json"}}
	for i := range 3 {
		a := trDo(t, http.MethodPost, url, hdr, `{"sku":"A1"}`)
		if a.status != http.StatusAccepted {
			t.Fatalf("attempt %d: status %d: %s", i+1, a.status, a.body)
		}
		var got acceptedBody
		if err := json.Unmarshal([]byte(a.body), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != "order-4711" || got.Duplicate != (i > 0) {
			t.Errorf("attempt %d: answer %+v, want id order-4711, duplicate %v", i+1, got, i > 0)
		}
	}
	events := env.events(t)
	if len(events) != 1 {
		t.Fatalf("stored %d events, want 1", len(events))
	}
	e := events[0]
	if e.ID() != "order-4711" || e.Type() != "com.example.order.created" || e.Source() != "/shop/api" {
		t.Errorf("stored id %q type %q source %q", e.ID(), e.Type(), e.Source())
	}
	if e.DataContentType() != "application/json" || string(e.Data()) != `{"sku":"A1"}` {
		t.Errorf("stored data %q as %q", e.Data(), e.DataContentType())
	}
	if at := e.Time(); at.Before(before) || at.After(time.Now()) || at.Location() != time.UTC {
		t.Errorf("stored time %v, want the time of the first request in UTC (after %v)", at, before)
	}
}

func TestRouteMapsHeadersAndQuery(t *testing.T) {
	env := newTrEnv(t, 0)
	cfg := routeTrigger(func(c *RouteConfig) {
		c.Headers = map[string]string{"x-tenant": "tenant", "X-Request-Id": "requestid"}
		c.Query = map[string]string{"region": "region", "dry-run": "dryrun"}
		c.Emit.Subject = "orders"
		c.Emit.Extensions = map[string]string{"team": "shop"}
	})
	url := serveRoute(t, cfg, env.client)

	a := trDo(t, http.MethodPost, url+"?region=eu&region=us&other=x", http.Header{"X-Tenant": {"acme"}}, "raw bytes")
	if a.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	a = trDo(t, http.MethodPost, url, nil, "")
	if a.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	events := env.events(t)
	if len(events) != 2 {
		t.Fatalf("stored %d events, want 2", len(events))
	}
	tests := []struct {
		name        string
		got, want   string
		eventNumber int
	}{
		{name: "header", got: ext(events[0], "tenant"), want: "acme"},
		{name: "absent header", got: ext(events[0], "requestid"), want: ""},
		{name: "repeated query parameter", got: ext(events[0], "region"), want: "eu,us"},
		{name: "absent query parameter", got: ext(events[0], "dryrun"), want: ""},
		{name: "fixed extension", got: ext(events[0], "team"), want: "shop"},
		{name: "subject", got: events[0].Subject(), want: "orders"},
		{name: "default content type", got: events[0].DataContentType(), want: defaultContentType},
		{name: "data", got: string(events[0].Data()), want: "raw bytes"},
		{name: "empty body has no content type", got: events[1].DataContentType(), want: ""},
		{name: "fixed extension without request values", got: ext(events[1], "team"), want: "shop"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if len(events[0].ID()) != 36 || events[0].ID() == events[1].ID() {
		t.Errorf("ids %q and %q: want two distinct UUIDs", events[0].ID(), events[1].ID())
	}
}

func TestRouteRejectsBadRequests(t *testing.T) {
	env := newTrEnv(t, 0)
	cfg := routeTrigger(func(c *RouteConfig) {
		c.Headers = map[string]string{"X-Tenant": "tenant"}
		c.Query = map[string]string{"region": "region"}
		c.Token = []byte("s3cret")
	})
	cfg.MaxBodyBytes = 64 << 10
	rt, err := NewRoute(cfg, env.client)
	if err != nil {
		t.Fatal(err)
	}
	auth := "Bearer s3cret"
	tests := []struct {
		name       string
		method     string
		target     string
		header     http.Header
		auth       string
		body       string
		wantStatus int
		wantInBody string
	}{
		{name: "wrong method", method: http.MethodGet, target: "/orders", wantStatus: 405, wantInBody: "use POST"},
		{name: "no token", method: http.MethodPost, target: "/orders", auth: "-", wantStatus: 401},
		{name: "wrong token", method: http.MethodPost, target: "/orders", auth: "Bearer nope", wantStatus: 401},
		{name: "token in another scheme", method: http.MethodPost, target: "/orders", auth: "Basic s3cret", wantStatus: 401},
		{name: "empty idempotency key", method: http.MethodPost, target: "/orders", header: http.Header{"Idempotency-Key": {" "}}, wantStatus: 400, wantInBody: "Idempotency-Key: must not be empty"},
		{name: "long idempotency key", method: http.MethodPost, target: "/orders", header: http.Header{"Idempotency-Key": {strings.Repeat("k", 256)}}, wantStatus: 400, wantInBody: "at most 255"},
		{name: "non-printable idempotency key", method: http.MethodPost, target: "/orders", header: http.Header{"Idempotency-Key": {"a\x01b"}}, wantStatus: 400, wantInBody: "printable ASCII"},
		{name: "non-ASCII idempotency key", method: http.MethodPost, target: "/orders", header: http.Header{"Idempotency-Key": {"clé"}}, wantStatus: 400, wantInBody: "printable ASCII"},
		{name: "two idempotency keys", method: http.MethodPost, target: "/orders", header: http.Header{"Idempotency-Key": {"a", "b"}}, wantStatus: 400, wantInBody: "only once"},
		{name: "control character in mapped query value", method: http.MethodPost, target: "/orders?region=eu%01", wantStatus: 400, wantInBody: `query parameter \"region\"`},
		{name: "invalid UTF-8 in mapped header", method: http.MethodPost, target: "/orders", header: http.Header{"X-Tenant": {"\xff"}}, wantStatus: 400, wantInBody: "UTF-8"},
		{name: "bad query escape", method: http.MethodPost, target: "/orders?region=%zz", wantStatus: 400, wantInBody: "query"},
		{name: "bad content type", method: http.MethodPost, target: "/orders", header: http.Header{"Content-Type": {"text/"}}, body: "x", wantStatus: 400, wantInBody: "datacontenttype"},
		{name: "body over the limit", method: http.MethodPost, target: "/orders", body: strings.Repeat("x", 64<<10+1), wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			switch tt.auth {
			case "":
				req.Header.Set("Authorization", auth)
			case "-":
			default:
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantInBody) {
				t.Errorf("body %s does not mention %q", rec.Body, tt.wantInBody)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if tt.wantStatus == 405 && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow %q, want POST", rec.Header().Get("Allow"))
			}
			if tt.wantStatus == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if n := len(env.events(t)); n != 0 {
		t.Errorf("stored %d events for rejected requests", n)
	}
}

func TestRouteTokenAccepted(t *testing.T) {
	env := newTrEnv(t, 0)
	cfg := routeTrigger(func(c *RouteConfig) {
		c.Method = "PUT"
		c.Token = []byte("s3cret")
	})
	url := serveRoute(t, cfg, env.client)
	if a := trDo(t, http.MethodPut, url, http.Header{"Authorization": {"bearer s3cret"}}, "{}"); a.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	if n := len(env.events(t)); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestRouteUnavailableBroker(t *testing.T) {
	env := newTrEnv(t, 0)
	pub := &flakyPublisher{fail: 1, next: env.client}
	url := serveRoute(t, routeTrigger(nil), pub)
	hdr := http.Header{"Idempotency-Key": {"k1"}}
	a := trDo(t, http.MethodPost, url, hdr, "{}")
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Fatalf("status %d (Retry-After %q), want 503 with Retry-After: %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	if a = trDo(t, http.MethodPost, url, hdr, "{}"); a.status != http.StatusAccepted {
		t.Fatalf("retry: status %d: %s", a.status, a.body)
	}
	if n := len(env.events(t)); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

func TestRouteValidator(t *testing.T) {
	env := newTrEnv(t, 0)
	v := validatorFunc(func(typ string, data []byte) error {
		if !strings.Contains(string(data), `"sku"`) {
			return errors.New("/sku: required")
		}
		return nil
	})
	url := serveRoute(t, routeTrigger(nil), env.client, WithValidator(v))
	a := trDo(t, http.MethodPost, url, nil, `{}`)
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, "/sku: required") || !strings.Contains(a.body, `"attribute":"data"`) {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	if a = trDo(t, http.MethodPost, url, nil, `{"sku":"A"}`); a.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	if n := len(env.events(t)); n != 1 {
		t.Errorf("stored %d events, want 1", n)
	}
}

// validatorFunc adapts a function to DataValidator.
type validatorFunc func(eventType string, data []byte) error

func (f validatorFunc) Validate(eventType string, data []byte) error { return f(eventType, data) }

func TestNewRouteConfigErrors(t *testing.T) {
	env := newTrEnv(t, 0)
	tests := []struct {
		name string
		edit func(*RouteConfig)
		want string
	}{
		{name: "no type", edit: func(c *RouteConfig) { c.Emit.Type = "" }, want: "emit.type: required"},
		{name: "bad source", edit: func(c *RouteConfig) { c.Emit.Source = "a b" }, want: "emit.source: must be a URI-reference"},
		{name: "header to bad extension", edit: func(c *RouteConfig) { c.Headers = map[string]string{"X-A": "Tenant"} }, want: `http.headers["X-A"]`},
		{name: "header to core attribute", edit: func(c *RouteConfig) { c.Headers = map[string]string{"X-A": "source"} }, want: "name is reserved"},
		{name: "bad header name", edit: func(c *RouteConfig) { c.Headers = map[string]string{"X A": "a"} }, want: "HTTP token"},
		{name: "long extension name", edit: func(c *RouteConfig) { c.Query = map[string]string{"q": strings.Repeat("a", 21)} }, want: "at most 20"},
		{name: "extension set twice", edit: func(c *RouteConfig) {
			c.Headers = map[string]string{"X-A": "tenant"}
			c.Query = map[string]string{"tenant": "tenant"}
		}, want: `already set by http.headers["X-A"]`},
		{name: "extension also fixed", edit: func(c *RouteConfig) {
			c.Emit.Extensions = map[string]string{"tenant": "x"}
			c.Query = map[string]string{"t": "tenant"}
		}, want: "already set by emit.extensions"},
		{name: "bad method", edit: func(c *RouteConfig) { c.Method = "PO ST" }, want: "http.method: must be one of DELETE, GET, PATCH, POST, PUT"},
		{name: "method in lower case", edit: func(c *RouteConfig) { c.Method = "put" }, want: "http.method"},
		{name: "token of white space", edit: func(c *RouteConfig) { c.Token = []byte(" \t") }, want: "http.tokenRef: the token must not be white space only"},
		{name: "negative reply timeout", edit: func(c *RouteConfig) { c.Reply, c.ReplyTimeout = true, -time.Second }, want: "http.reply.timeout: must be positive"},
		{name: "reply without waiter", edit: func(c *RouteConfig) { c.Reply = true }, want: "http.reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRoute(routeTrigger(tt.edit), env.client)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v, want ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"orders-api"`) {
				t.Errorf("error %q does not name the trigger and %q", err, tt.want)
			}
		})
	}
}
