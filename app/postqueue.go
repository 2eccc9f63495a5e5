package app

import (
	"sync"
)

// postQueue is an unbounded FIFO served by one goroutine, so a burst of
// deliveries never blocks Accept and work is done in arrival order.
type postQueue struct {
	mu     sync.Mutex
	items  []postItem
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

// start runs fn on every item pushed, on one goroutine, until close.
func (q *postQueue) start(fn func(postItem)) {
	q.mu.Lock()
	q.wake = make(chan struct{}, 1)
	q.done = make(chan struct{})
	q.mu.Unlock()
	go func() {
		defer close(q.done)
		for {
			q.mu.Lock()
			items := q.items
			q.items = nil
			closed := q.closed
			q.mu.Unlock()
			for _, it := range items {
				fn(it)
			}
			if len(items) > 0 {
				continue
			}
			if closed {
				return
			}
			<-q.wake
		}
	}()
}

func (q *postQueue) push(it postItem) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.wake == nil {
		return
	}
	q.items = append(q.items, it)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close lets the worker finish what is queued, then waits for it to stop.
func (q *postQueue) close() {
	q.mu.Lock()
	if q.closed || q.wake == nil {
		q.closed = true
		q.mu.Unlock()
		return
	}
	q.closed = true
	select {
	case q.wake <- struct{}{}:
	default:
	}
	done := q.done
	q.mu.Unlock()
	<-done
}
