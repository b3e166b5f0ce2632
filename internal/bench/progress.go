package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress rewrites one status line on a terminal. A nil *progress does
// nothing, so the measuring code calls it unconditionally.
type progress struct {
	w     io.Writer
	label string
	total int64 // 0 when the phase is timed rather than counted
	span  time.Duration
	start time.Time
	done  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startProgress shows label with done/total (or elapsed/span when total
// is 0) every 200ms on w; it returns nil when w is nil.
func startProgress(w io.Writer, label string, total int64, span time.Duration) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, label: label, total: total, span: span, start: time.Now(), stop: make(chan struct{})}
	p.wg.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	})
	return p
}

func (p *progress) add(n int64) {
	if p != nil {
		p.done.Add(n)
	}
}

func (p *progress) set(n int64) {
	if p != nil {
		p.done.Store(n)
	}
}

func (p *progress) draw() {
	n, el := p.done.Load(), time.Since(p.start)
	rate := float64(n) / max(el.Seconds(), 1e-9)
	var line string
	if p.total > 0 {
		line = fmt.Sprintf("%-34s %s/%d  %s/s  %3.0f%%", p.label, fmt.Sprint(n), p.total, formatRate(rate), 100*float64(n)/float64(p.total))
	} else {
		line = fmt.Sprintf("%-34s %s  %s/s  %4.1fs/%s", p.label, fmt.Sprint(n), formatRate(rate), el.Seconds(), p.span)
	}
	fmt.Fprintf(p.w, "\r%-78s", line)
}

// finish stops the updates and clears the line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 78)+"\r")
}
