package bench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// envTestWorker makes the test binary serve as a replica of the scale
// scenario (the process runtime starts it with this variable set).
const envTestWorker = "FNMESH_BENCH_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(envTestWorker) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := ServeWorker(ctx, os.Getenv, nil)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench test worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
