package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/functions"
	"github.com/fnmesh/fnmesh/internal/poll"
)

const remindMeshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: remind-test }
streams:
  - name: EVENTS
    subjects: ["events.>"]
    schedules: true
functions:
  - name: f
    filters:
      - exact: { type: com.example.start }
    run: { command: ["true"] }
`

// TestFunctionReturnsDelayedEvent: a function returns "remind me in 2 s";
// the reminder is stored at once but reaches the event subjects only
// after its time.
func TestFunctionReturnsDelayedEvent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(remindMeshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	base, natsURL, stop := startUp(t, file, data)
	defer stop()
	creds, err := embedded.ReadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natsURL, creds.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	returned := make(chan time.Time, 1)
	ctx, cancel := context.WithCancel(context.Background())
	fdone := make(chan error, 1)
	go func() {
		fdone <- functions.Serve(ctx, functions.HandlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
			at := time.Now().Add(2 * time.Second)
			out := event.New()
			out.SetID("remind-" + e.ID())
			out.SetSource("/f")
			out.SetType("com.example.remind")
			out.SetExtension("deliverat", at.UTC().Format(time.RFC3339Nano))
			select {
			case returned <- at:
			default:
			}
			return []event.Event{out}, nil
		}), functions.WithConn(nc), functions.WithMeshFile(file), functions.WithFunction("f"))
	}()
	defer func() { cancel(); <-fdone }()

	postEvent(t, base, "s-1", "com.example.start", `{}`)
	var at time.Time
	select {
	case at = <-returned:
	case <-time.After(15 * time.Second):
		t.Fatal("the function did not run")
	}
	js, _ := jetstream.New(nc)
	reminders := func() uint64 {
		st, err := js.Stream(context.Background(), "EVENTS")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("events.com.example.remind"))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects["events.com.example.remind"]
	}
	// Stored (as a schedule) once the run settled: wait for the run.
	var runs struct {
		Runs []struct{ Outcome string } `json:"runs"`
	}
	poll.Until(t, 10*time.Second, "the run recorded", func() bool {
		apiGet(t, base+"/api/v1/runs?function=f", http.StatusOK, &runs)
		return len(runs.Runs) == 1
	})
	if runs.Runs[0].Outcome != "ok" {
		t.Fatalf("run %+v", runs.Runs[0])
	}
	if n := reminders(); n != 0 && time.Now().Before(at) {
		t.Fatalf("reminder visible before its time")
	}
	poll.Until(t, 10*time.Second, "the reminder delivered", func() bool { return reminders() == 1 })
	if time.Now().Before(at) {
		t.Fatalf("reminder delivered before its time")
	}
}
