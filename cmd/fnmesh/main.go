// Command fnmesh runs an event-driven function mesh: CloudEvents in over
// HTTP, cron and webhooks, stored in NATS JetStream, processed by functions
// that scale with the backlog.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "fnmesh:", err)
		stop()
		os.Exit(1)
	}
}
