package triggers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/fnmesh/fnmesh/triggers"
)

// The listener of the triggers, with its timeouts at their defaults.
func ExampleNewServer() {
	s, err := triggers.NewServer(triggers.ServerConfig{Addr: "127.0.0.1:0"},
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { _ = s.Serve() }()
	defer s.Shutdown(context.Background())

	resp, err := http.Get(s.URL() + "/livez")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 ok
}

// An operational endpoint behind the bearer token that ingest and routes
// use.
func ExampleRequireBearer() {
	status, err := triggers.RequireBearer([]byte("ops-token"),
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{}") }))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, auth := range []string{"", "Bearer ops-token"} {
		req := httptest.NewRequest(http.MethodGet, "/status", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		status.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body)
		if rec.Body.Len() == 2 {
			fmt.Println()
		}
	}
	// Output:
	// 401 {"error":"missing bearer token"}
	// 200 {}
}
