// Command drainer is the worker of the runtime conformance suite: it
// writes "$OUT/$FNMESH_REPLICA.ready" once it handles SIGTERM, then, when
// told to stop, "$OUT/$FNMESH_REPLICA.drained" and exits 0, as a worker
// that drained does. It needs nothing but its environment, so it runs as a
// local process and as the only file of a FROM scratch image.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	out, replica := os.Getenv("OUT"), os.Getenv("FNMESH_REPLICA")
	if out == "" || replica == "" {
		fmt.Fprintln(os.Stderr, "drainer: OUT and FNMESH_REPLICA are required")
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	mark(out, replica, "ready")
	<-stop
	mark(out, replica, "drained")
}

// mark writes the file "<out>/<replica>.<what>" at once (rename), so the
// suite never reads half of it.
func mark(out, replica, what string) {
	name := filepath.Join(out, replica+"."+what)
	if err := os.WriteFile(name+".tmp", []byte(what+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "drainer:", err)
		os.Exit(1)
	}
	if err := os.Rename(name+".tmp", name); err != nil {
		fmt.Fprintln(os.Stderr, "drainer:", err)
		os.Exit(1)
	}
}
