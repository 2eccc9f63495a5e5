// Package async runs a view's work off the UI goroutine and applies the
// result on it, counting what is in flight. Every view reads the database
// in the background and touches widgets only on the UI goroutine, and its
// tests wait until nothing is in flight before they look; this package is
// that one piece of plumbing, shared so the views count their work the
// same way.
package async

import (
	"context"
	"sync/atomic"
	"time"
)

// Tracker counts work posted to the UI goroutine that has not run yet. The
// zero value is ready to use.
type Tracker struct {
	n atomic.Int64
}

// Load returns how much work is in flight, so tests can wait for quiet.
func (t *Tracker) Load() int64 { return t.n.Load() }

// Add counts delta more (or, negative, fewer) pieces of work in flight, for
// work that reaches the UI goroutine some other way (a debounce timer).
func (t *Tracker) Add(delta int64) { t.n.Add(delta) }

// Post runs fn on the UI goroutine through do (fyne.Do, or a test's
// queue), counted as in flight until it has run.
func (t *Tracker) Post(do func(func()), fn func()) {
	t.n.Add(1)
	do(func() {
		defer t.n.Add(-1)
		fn()
	})
}

// Background runs work on a goroutine of its own with a context that ends
// after timeout, and then the function it returns (if any) on the UI
// goroutine through do; all of it counted as in flight.
func (t *Tracker) Background(do func(func()), timeout time.Duration, work func(ctx context.Context) func()) {
	t.n.Add(1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		apply := work(ctx)
		cancel()
		do(func() {
			defer t.n.Add(-1)
			if apply != nil {
				apply()
			}
		})
	}()
}
