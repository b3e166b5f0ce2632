package workers

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// A function handed to the pool while every kept goroutine is busy runs at
// once on a new one: a stuck handler never holds up another event.
func TestGopoolNeverWaitsForABusyGoroutine(t *testing.T) {
	p := newGopool()
	release := make(chan struct{})
	var stuck sync.WaitGroup
	for range 4 {
		stuck.Add(1)
		p.Go(func() { stuck.Done(); <-release })
	}
	stuck.Wait()
	ran := make(chan struct{})
	p.Go(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("a function waited for a busy goroutine")
	}
	close(release)
	p.close()
}

// Goroutines are kept between functions and exit after close, the busy
// ones once their function returns.
func TestGopoolKeepsGoroutinesUntilClose(t *testing.T) {
	before := runtime.NumGoroutine()
	p := newGopool()
	var wg sync.WaitGroup
	ids := map[string]bool{}
	for range 100 {
		wg.Add(1)
		p.Go(func() { ids[goroutineID()] = true; wg.Done() })
		wg.Wait() // one at a time
	}
	// A function may come while the goroutine that ran the last one has
	// not yet gone back to waiting: then one more starts, and from then on
	// one of them is idle. Without reuse it would be 100.
	if len(ids) > 4 {
		t.Errorf("100 functions run one after the other ran on %d goroutines, want at most 4", len(ids))
	}
	release := make(chan struct{})
	wg.Add(1)
	p.Go(func() { <-release; wg.Done() })
	p.close()
	close(release)
	wg.Wait()
	poll.Until(t, 10*time.Second, "the kept goroutines exited", func() bool { return runtime.NumGoroutine() <= before })
}

// goroutineID is the number runtime.Stack gives the calling goroutine.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}
