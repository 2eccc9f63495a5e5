package uitest

import (
	"sync"
	"testing"
	"time"
)

// Pending reports how much of a view's background work is not yet applied.
type Pending interface{ Load() int64 }

// Queue stands in for the UI goroutine: a view's background work posts to
// it, and Settle runs what was posted on the test's goroutine, so the test
// and the view never touch widgets concurrently.
type Queue chan func()

// Do posts f; it is what a view's "do" option is set to.
func (q Queue) Do(f func()) { q <- f }

// Settle runs posted work until the view has nothing in flight.
func Settle(tb testing.TB, q Queue, p Pending) {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	for p.Load() > 0 {
		select {
		case f := <-q:
			f()
		case <-deadline:
			tb.Fatalf("view still busy after 30s (%d pending)", p.Load())
		}
	}
}

// Eventually runs posted work until cond holds: for what arrives from
// outside the view (the runner, the shell's subscription).
func Eventually(tb testing.TB, q Queue, p Pending, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		Settle(tb, q, p)
		if cond() {
			return
		}
		select {
		case f := <-q:
			f()
		case <-tick.C:
		case <-deadline:
			tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Mailbox stands in for the driver's main-thread queue where there is no
// pending count to wait on: background goroutines post to it, and the test
// goroutine runs what was posted, so every widget is touched from one
// goroutine as in the real app.
type Mailbox struct {
	mu  sync.Mutex
	fns []func()
}

// Do posts f.
func (m *Mailbox) Do(f func()) {
	m.mu.Lock()
	m.fns = append(m.fns, f)
	m.mu.Unlock()
}

// Drain runs what is posted, on the caller's goroutine, until nothing is.
func (m *Mailbox) Drain() {
	for {
		m.mu.Lock()
		fns := m.fns
		m.fns = nil
		m.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// WaitFor drains the mailbox until cond holds, failing the test after a
// generous deadline (the machines are small and shared; this is not a
// performance check).
func (m *Mailbox) WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m.Drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
