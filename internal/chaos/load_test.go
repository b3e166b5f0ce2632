package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// answer is one HTTP answer a node gave the load.
type answer struct {
	at   time.Time
	node int
	code int // 0: no answer (connection refused, timeout)
}

// load posts events through the HTTP endpoint of every node in turn, as a
// careful client does: on 503 or no answer it sends the same event (same
// id) to the next node after a pause, until it is answered 2xx or
// giveUp passes.
type load struct {
	nodes  []*node
	giveUp time.Duration
	pause  time.Duration // between two events of one sender

	next atomic.Int64

	mu       sync.Mutex
	sent     int
	accepted map[string]time.Time // id -> when it was answered 2xx
	other5xx []string
	answers  []answer
}

var loadClient = &http.Client{Timeout: 10 * time.Second}

// run sends events with senders goroutines until ctx ends and at least
// min events were sent.
func (l *load) run(ctx context.Context, senders, min int) {
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				i := int(l.next.Add(1)) - 1
				if ctx.Err() != nil && i >= min {
					return
				}
				l.send(i)
				time.Sleep(l.pause)
			}
		})
	}
	wg.Wait()
}

func (l *load) send(i int) {
	id := fmt.Sprintf("ev-%06d", i)
	l.mu.Lock()
	l.sent++
	l.mu.Unlock()
	body := fmt.Sprintf(`{"i":%d}`, i)
	deadline := time.Now().Add(l.giveUp)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		n := (i + attempt) % len(l.nodes)
		code := l.post(n, id, body)
		l.mu.Lock()
		l.answers = append(l.answers, answer{at: time.Now(), node: n, code: code})
		switch {
		case code >= 200 && code < 300:
			l.accepted[id] = time.Now()
		case code >= 500 && code != http.StatusServiceUnavailable:
			l.other5xx = append(l.other5xx, fmt.Sprintf("%s on n%d: %d", id, n+1, code))
		}
		l.mu.Unlock()
		if code >= 200 && code < 300 {
			return
		}
		if code != 0 && code != http.StatusServiceUnavailable {
			return // a refusal the client cannot fix by asking again
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// post sends one event in binary mode; 0 when no answer came.
func (l *load) post(n int, id, body string) int {
	req, err := http.NewRequest(http.MethodPost, "http://"+l.nodes[n].http+"/events", strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("ce-specversion", "1.0")
	req.Header.Set("ce-id", id)
	req.Header.Set("ce-source", "/chaos")
	req.Header.Set("ce-type", "com.example.chaos")
	resp, err := loadClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0
		}
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// snapshot copies what the load recorded.
func (l *load) snapshot() (sent int, accepted map[string]time.Time, other5xx []string, answers []answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	accepted = make(map[string]time.Time, len(l.accepted))
	for k, v := range l.accepted {
		accepted[k] = v
	}
	return l.sent, accepted, append([]string(nil), l.other5xx...), append([]answer(nil), l.answers...)
}

// window is what the load saw from the nodes only accepts between from
// and to: the first and the last 503, the first 2xx after the last 503,
// and counts.
type window struct {
	first503, last503, first2xx time.Time
	n503, n2xx                  int
}

func (l *load) window(from, to time.Time, only func(node int) bool) window {
	l.mu.Lock()
	defer l.mu.Unlock()
	var w window
	for _, a := range l.answers {
		if a.at.Before(from) || a.at.After(to) || !only(a.node) {
			continue
		}
		switch {
		case a.code == http.StatusServiceUnavailable:
			w.n503++
			if w.first503.IsZero() || a.at.Before(w.first503) {
				w.first503 = a.at
			}
			if a.at.After(w.last503) {
				w.last503 = a.at
			}
		case a.code >= 200 && a.code < 300:
			w.n2xx++
		}
	}
	for _, a := range l.answers {
		if a.at.After(w.last503) && !a.at.After(to) && only(a.node) && a.code >= 200 && a.code < 300 {
			if w.first2xx.IsZero() || a.at.Before(w.first2xx) {
				w.first2xx = a.at
			}
		}
	}
	return w
}
