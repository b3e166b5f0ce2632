package workers

import "sync"

// gopool runs functions on goroutines it keeps: a goroutine whose function
// has returned waits for the next one instead of exiting.
//
// A goroutine started per event begins with a small stack and grows it on
// the event's first deep call (decoding, the delivery metadata, the
// handler), which copies the stack each time: in a profile of the consume
// loop that growth was a fifth of the CPU of the settle goroutine. A kept
// goroutine has grown its stack once.
//
// Go never waits: when no kept goroutine is idle it starts a new one, so a
// handler that never returns costs a goroutine, as before, and never
// blocks another event. The goroutines kept are at most the most that ran
// at once. close lets the idle ones exit, and the busy ones once their
// function returns; Go must not be called after close.
type gopool struct {
	work chan func()
	once sync.Once
}

func newGopool() *gopool { return &gopool{work: make(chan func())} }

// Go runs f on an idle kept goroutine, or on a new one.
func (p *gopool) Go(f func()) {
	select {
	case p.work <- f:
	default:
		go p.run(f)
	}
}

func (p *gopool) run(f func()) {
	for {
		f()
		var ok bool
		if f, ok = <-p.work; !ok {
			return
		}
	}
}

// close ends the kept goroutines once they are idle.
func (p *gopool) close() { p.once.Do(func() { close(p.work) }) }
