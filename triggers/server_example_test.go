package triggers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

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
