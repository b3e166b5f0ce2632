package natsguard_test

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/natsguard"
)

// A client that dials through the guard reconnects after a protocol error
// the server answers, instead of closing for good.
func ExampleDialer() {
	opts := []nats.Option{
		nats.MaxReconnects(-1),
		nats.SetCustomDialer(natsguard.Dialer{Dropped: func(line string) { fmt.Println("dropped", line) }}),
	}
	fmt.Println(len(opts))
	// Output: 2
}
