//go:build unix

package functions_test

import (
	"context"
	"fmt"

	"github.com/fnmesh/fnmesh/functions"
)

func ExampleNewExecAdapter() {
	script := `cat > /dev/null
printf '{"specversion":"1.0","id":"r-%s","source":"/sh","type":"com.example.order.checked"}' "$FNMESH_EVENT_ID"`
	h := functions.NewExecAdapter([]string{"sh", "-c", script}, "", nil)

	out, err := h.Handle(context.Background(), orderCreated("A-4"))
	fmt.Println(err, out[0].ID(), out[0].Type())
	// Output: <nil> r-A-4 com.example.order.checked
}
