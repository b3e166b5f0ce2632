// Command worker is the replica program of the multi-process tests: a
// function that records each event it handles and emits nothing.
//
// Each handled event is appended to $FNMESH_TEST_RECORD_DIR/<pid>.log as
// "<source>|<id>|<pid>|<unix nanoseconds>\n" with O_APPEND before the
// handler returns, so an event counts as handled even when its ack is lost
// afterwards. FNMESH_TEST_SLEEP (a Go duration) makes each event take that
// long first.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
)

func main() {
	pid := os.Getpid()
	f, err := os.OpenFile(filepath.Join(os.Getenv("FNMESH_TEST_RECORD_DIR"), strconv.Itoa(pid)+".log"),
		os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var sleep time.Duration
	if s := os.Getenv("FNMESH_TEST_SLEEP"); s != "" {
		if sleep, err = time.ParseDuration(s); err != nil {
			fmt.Fprintln(os.Stderr, "FNMESH_TEST_SLEEP:", err)
			os.Exit(2)
		}
	}
	functions.ServeMain(functions.HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		if sleep > 0 {
			select {
			case <-time.After(sleep):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		line := fmt.Sprintf("%s|%s|%d|%d\n", e.Source(), e.ID(), pid, time.Now().UnixNano())
		if _, err := f.WriteString(line); err != nil {
			return nil, err
		}
		return nil, nil
	}))
}
