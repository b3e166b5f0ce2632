package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// TestOpsEndpointsTakeTheToken checks that /status and /metrics answer 401
// without the operations token when one is set, and that /livez and
// /readyz stay open.
func TestOpsEndpointsTakeTheToken(t *testing.T) {
	tel, err := telemetry.NewForTest(noop.NewTracerProvider(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := brokertest.Server(t, "")
	ms := &mesh{tel: tel, client: brokertest.Client(t, srv, nil)}
	tests := []struct {
		name       string
		token      string
		pattern    string
		auth       string
		wantStatus int
	}{
		{name: "status without token", token: "ops", pattern: "GET /status", wantStatus: http.StatusUnauthorized},
		{name: "status with a wrong token", token: "ops", pattern: "GET /status", auth: "Bearer nope", wantStatus: http.StatusUnauthorized},
		{name: "status with the token", token: "ops", pattern: "GET /status", auth: "Bearer ops", wantStatus: http.StatusOK},
		{name: "metrics without token", token: "ops", pattern: "GET /metrics", wantStatus: http.StatusUnauthorized},
		{name: "metrics with the token", token: "ops", pattern: "GET /metrics", auth: "Bearer ops", wantStatus: http.StatusOK},
		{name: "livez stays open", token: "ops", pattern: "GET /livez", wantStatus: http.StatusOK},
		{name: "readyz stays open", token: "ops", pattern: "GET /readyz", wantStatus: http.StatusOK},
		{name: "status without a configured token", pattern: "GET /status", wantStatus: http.StatusOK},
		{name: "metrics without a configured token", pattern: "GET /metrics", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := ms.opsEndpoints(nil, tt.token)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, tt.pattern[len("GET "):], nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			ops[tt.pattern].ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if _, err := ms.opsEndpoints(nil, "  "); err == nil {
		t.Error("a token of white space was accepted")
	}
}
