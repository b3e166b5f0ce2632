package chaos

import (
	"bufio"
	"context"
	"os"
	"strings"
	"sync"
	"time"
)

// tracker follows a file a function appends one event id per line to,
// and remembers when each id was first seen and how often.
type tracker struct {
	path string

	mu    sync.Mutex
	count map[string]int
	first map[string]time.Time
	lines int
	times []time.Time // when each line was first seen
}

func newTracker(path string) *tracker {
	return &tracker{path: path, count: map[string]int{}, first: map[string]time.Time{}}
}

// run reads new lines every 50ms until ctx ends.
func (tr *tracker) run(ctx context.Context) {
	var off int64
	var partial string
	for ctx.Err() == nil {
		off, partial = tr.read(off, partial)
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	tr.read(off, partial)
}

func (tr *tracker) read(off int64, partial string) (int64, string) {
	f, err := os.Open(tr.path)
	if err != nil {
		return off, partial
	}
	defer f.Close()
	if _, err := f.Seek(off, 0); err != nil {
		return off, partial
	}
	r := bufio.NewReader(f)
	now := time.Now()
	for {
		line, err := r.ReadString('\n')
		off += int64(len(line))
		if err != nil {
			return off, partial + line
		}
		id := strings.TrimSpace(partial + line)
		partial = ""
		if id == "" {
			continue
		}
		tr.mu.Lock()
		tr.count[id]++
		if _, ok := tr.first[id]; !ok {
			tr.first[id] = now
		}
		tr.lines++
		tr.times = append(tr.times, now)
		tr.mu.Unlock()
	}
}

// has reports whether id was processed and how often.
func (tr *tracker) has(id string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.count[id]
}

// totals are the distinct ids and the lines beyond one per id.
func (tr *tracker) totals() (distinct, duplicated int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.count), tr.lines - len(tr.count)
}

// firstAfter is when the first line after t was seen (zero if none yet).
func (tr *tracker) firstAfter(t time.Time) time.Time {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, at := range tr.times {
		if at.After(t) {
			return at
		}
	}
	return time.Time{}
}

// ids are the distinct ids seen.
func (tr *tracker) ids() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]string, 0, len(tr.count))
	for id := range tr.count {
		out = append(out, id)
	}
	return out
}

// seen is when id was first seen processed (zero if not yet).
func (tr *tracker) seen(id string) time.Time {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.first[id]
}
