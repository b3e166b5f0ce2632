package functions

import (
	"context"
	"os/exec"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TestNotifyExample runs examples/notify.sh through the exec adapter.
func TestNotifyExample(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	in := event.New()
	in.SetID("ship-A-1")
	in.SetSource("/fnmesh/functions/fulfil-order")
	in.SetType("com.example.order.fulfilled")
	in.SetSubject("A-1")
	out, err := NewExecAdapter([]string{"sh", "./notify.sh"}, "examples", nil).Handle(context.Background(), in)
	if err != nil || len(out) != 0 {
		t.Fatalf("Handle = %v, %v; want no events, nil", out, err)
	}
}
