// Package async runs a view's work off the UI goroutine and applies the
// result on it, counting what is in flight and owning the goroutines it
// starts. Every view reads the database in the background and touches
// widgets only on the UI goroutine; its tests wait until nothing is in
// flight before they look; and when the window closes for good, the shell
// stops every view's Tracker, so nothing of a view runs after Fyne's loop
// has ended (once it has, fyne.Do runs functions on the caller's goroutine,
// which would touch widgets off the UI goroutine). This package is that one
// piece of plumbing, shared so the views do it the same way.
package async

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Tracker counts work posted to the UI goroutine that has not run yet and
// owns the goroutines of one view, which share its context. The zero value
// is ready to use.
type Tracker struct {
	n atomic.Int64

	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex // guards stopped against Go racing Stop
	stopped bool
	wg      sync.WaitGroup
}

func (t *Tracker) init() {
	t.once.Do(func() { t.ctx, t.cancel = context.WithCancel(context.Background()) })
}

// Context is the view's context: it ends when Stop is called.
func (t *Tracker) Context() context.Context {
	t.init()
	return t.ctx
}

// Load returns how much work is in flight, so tests can wait for quiet.
func (t *Tracker) Load() int64 { return t.n.Load() }

// Add counts delta more (or, negative, fewer) pieces of work in flight, for
// work that reaches the UI goroutine some other way (a debounce timer).
func (t *Tracker) Add(delta int64) { t.n.Add(delta) }

// Post runs fn on the UI goroutine through do (fyne.Do, or a test's
// queue), counted as in flight until it has run. After Stop, fn is dropped.
func (t *Tracker) Post(do func(func()), fn func()) {
	t.init()
	if t.ctx.Err() != nil {
		return
	}
	t.n.Add(1)
	do(func() {
		defer t.n.Add(-1)
		if t.ctx.Err() == nil {
			fn()
		}
	})
}

// Go runs fn on a goroutine of the view, with the view's context. After
// Stop it does nothing and returns false.
func (t *Tracker) Go(fn func(ctx context.Context)) bool {
	t.init()
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return false
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		fn(t.ctx)
	}()
	return true
}

// Background runs work on a goroutine of the view with a context that ends
// after timeout (or at Stop), and then the function it returns (if any) on
// the UI goroutine through do; all of it counted as in flight.
func (t *Tracker) Background(do func(func()), timeout time.Duration, work func(ctx context.Context) func()) {
	t.n.Add(1)
	started := t.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		apply := work(ctx)
		cancel()
		// Always through the UI goroutine, even with nothing to apply: a
		// test playing that goroutine learns the work is done this way.
		do(func() {
			defer t.n.Add(-1)
			if apply != nil && t.ctx.Err() == nil {
				apply()
			}
		})
	})
	if !started {
		t.n.Add(-1)
	}
}

// Stop ends the view's context and waits for its goroutines to return.
// Work posted to the UI goroutine and not yet run is dropped.
func (t *Tracker) Stop() {
	t.init()
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}
