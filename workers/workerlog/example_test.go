package workerlog_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/fnmesh/fnmesh/workers/workerlog"
)

// A worker's output, as a runtime forwards it: a slog line keeps its level
// and attributes, a plain line is logged at info.
func ExampleNew() {
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})).With("function", "notify", "replica", "notify-1")
	w := workerlog.New(log, "stderr")
	fmt.Fprint(w, "level=WARN msg=\"slow answer\" ms=900\nplain line\n")
	w.Flush()
	// Output:
	// level=WARN msg="slow answer" function=notify replica=notify-1 output=stderr ms=900
	// level=INFO msg="plain line" function=notify replica=notify-1 output=stderr
}
