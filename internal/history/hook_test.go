package history

import (
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TestSourceCacheIsSource: the cached source is the event's, whatever the
// order and spec version of the events, from many goroutines.
func TestSourceCacheIsSource(t *testing.T) {
	var evs []event.Event
	for _, src := range []string{"/a", "/b", "https://u:p@h/x?q#f", "https://u:q@h/x?q#f", "/a", "urn:x:y", "/a%2Fb"} {
		for _, v := range []string{event.CloudEventsVersionV1, event.CloudEventsVersionV03} {
			e := event.New(v)
			e.SetSource(src)
			evs = append(evs, e)
		}
	}
	evs = append(evs, event.Event{}) // no context
	var c sourceCache
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				e := &evs[(i*(g+1))%len(evs)]
				if got, want := c.get(e), e.Source(); got != want {
					t.Errorf("source of %v = %q, want %q", e.Context, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
