// Command ordered is the replica program of the ordering tests: a
// function that records when it starts and ends each event.
//
// It appends "B|<subject>|<id>|<pid>|<unix ns>" before and
// "E|<subject>|<id>|<pid>|<unix ns>" after a pause of FNMESH_TEST_SLEEP to
// $FNMESH_TEST_RECORD_DIR/<pid>.log, with O_APPEND, so a test can check
// that no two runs of one subject overlapped and in which order they ran.
// It serves batches too (each event of a batch is recorded, the pause is
// made once per batch), so the same program runs ordered batches.
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
	sleep, err := time.ParseDuration(os.Getenv("FNMESH_TEST_SLEEP"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FNMESH_TEST_SLEEP:", err)
		os.Exit(2)
	}
	record := func(what string, e event.Event) error {
		_, err := fmt.Fprintf(f, "%s|%s|%s|%d|%d\n", what, e.Subject(), e.ID(), pid, time.Now().UnixNano())
		return err
	}
	functions.ServeMain(functions.BatchAsHandler(functions.BatchHandlerFunc(func(ctx context.Context, evs []event.Event) ([]functions.BatchResult, error) {
		for _, e := range evs {
			if err := record("B", e); err != nil {
				return nil, err
			}
		}
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for _, e := range evs {
			if err := record("E", e); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})))
}
