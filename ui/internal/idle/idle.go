// Package idle stops Fyne's GLFW event loop from spinning while no window is
// visible, which is most of a tray app's life.
//
// # What Fyne does
//
// Fyne v2.7.1's GLFW driver runs one loop on the main OS thread
// (internal/driver/glfw/loop.go, runGL): a time.NewTicker(time.Second/60)
// at loop.go:127, and a select (loop.go:128-185) that either runs one
// function from its funcQueue (loop.go:148-152: what fyne.Do and
// fyne.DoAndWait queue) or, on a tick, calls glfw.PollEvents and draws
// (loop.go:153-183). It does so 60 times a second whether or not a window
// is shown (fyne-io/fyne#2506): on a 2-core VM under Xvfb that is ~1.3% of
// a core and ~450 context switches a second for an app that only sits in
// the tray.
//
// # How parking works
//
// The loop runs queued functions on its own goroutine, one at a time, and
// does nothing else meanwhile (loop.go:148-152 runs f.f() inside the
// select). So a function queued with fyne.Do that blocks holds the loop:
// no ticks are taken (since Go 1.23 an unread Ticker wakes nobody), no
// PollEvents, no frames. The Parker queues such a function; while no
// window is visible it blocks for a slice (250 ms), then queues itself
// again and returns, so that whatever was queued meanwhile (tray-menu
// clicks, UI updates) runs in order before it parks again. With a
// window visible it does not block, and looks again a second later.
//
// Tray-menu clicks need the loop: fyne.io/systray reads the click from
// D-Bus on its own goroutine, but Fyne runs the item's action with
// runOnMain (internal/driver/glfw/driver_desktop.go:156-160), i.e. through
// funcQueue. A click while parked therefore waits for the end of the slice
// (at most 250 ms), unless the parker was woken earlier: it also wakes
// when the tray menu is opened (systray.TrayOpenedCh, sent when the tray
// host reports the root menu "opened", fyne.io/systray
// systray_menu_unix.go:113-123), and then keeps the loop running for
// trayGrace, so that a click on an opened menu acts at once.
//
// # Stopping
//
// When Fyne's loop ends it discards what is queued (loop.go:138-144) and
// from then on fyne.Do runs functions at once on the caller's goroutine
// (loop.go:43-46, drained). The parker's function checks that it runs on
// the loop's thread and returns at once otherwise, and Stop, called after
// Fyne's Run returns, stops its timer and waits for anything of it still
// running, so nothing of the parker runs after Stop.
package idle

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/systray"
)

const (
	// slice is how long one park holds the loop: the longest a tray
	// click (from a host that does not report the menu opening) or a
	// fyne.Do waits while no window is visible.
	slice = 250 * time.Millisecond
	// recheck is how often visibility is looked at again while a window
	// is visible (the loop runs at full speed then anyway).
	recheck = time.Second
	// wakeGrace is how long the loop runs freely after Wake, so that the
	// window being shown gets to be drawn before anything parks again.
	wakeGrace = time.Second
	// trayGrace is how long the loop runs freely after the tray menu was
	// opened: the engineer reads it and clicks within that.
	trayGrace = 10 * time.Second
)

// Parker parks Fyne's event loop while no window is visible. Make one with
// NewParker, Start it once the app exists, Wake it before showing a
// window from outside the loop, and Stop it after Fyne's Run returns.
type Parker struct {
	visible func() bool

	// Replaced by tests; fyne.Do, the loop-thread check and
	// systray.TrayOpenedCh otherwise.
	do        func(func())
	onLoop    func() bool
	trayOpen  <-chan struct{}
	slice     time.Duration
	recheck   time.Duration
	wakeGrace time.Duration
	trayGrace time.Duration

	wake chan struct{} // capacity 1
	stop chan struct{}

	mu        sync.Mutex
	stopped   bool
	timer     *time.Timer // the pending look again, if any
	holdUntil time.Time   // no parking before this (touched on the loop only)
	running   sync.WaitGroup

	parks  atomic.Int64 // slices spent parked, for tests and measurements
	inPark atomic.Bool  // a park is under way (see park)
}

// NewParker returns a parker that parks the loop whenever visible reports
// false. visible is called on Fyne's loop goroutine, so it may read window
// state the UI keeps there; it should be cheap.
func NewParker(visible func() bool) *Parker {
	return &Parker{
		visible:   visible,
		do:        fyne.Do,
		onLoop:    onLoopThread,
		trayOpen:  systray.TrayOpenedCh,
		slice:     slice,
		recheck:   recheck,
		wakeGrace: wakeGrace,
		trayGrace: trayGrace,
		wake:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
}

// Start queues the first park. It may be called before or after Fyne's Run
// starts (from any goroutine, including main before Run: the function is
// queued from a goroutine of its own, so it is never run in place).
func (p *Parker) Start() {
	p.later(0)
}

// Wake ends a park at once and keeps the loop running for a moment. Call
// it from any goroutine before queueing work that must not wait for the
// slice, such as showing a window from a notification click or a signal
// from another ipfwatch process. It never blocks.
func (p *Parker) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Stop ends parking for good: it wakes a park in progress, cancels the
// pending look again and waits for any of the parker's code still running.
// Call it after Fyne's Run has returned (or from a goroutine other than the
// loop's). It is safe to call more than once.
func (p *Parker) Stop() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.stop)
		if p.timer != nil {
			p.timer.Stop()
		}
	}
	p.mu.Unlock()
	p.running.Wait()
}

// Parks is how many slices the loop has spent parked.
func (p *Parker) Parks() int64 { return p.parks.Load() }

// later queues park after d, from a goroutine of its own.
func (p *Parker) later(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.timer = time.AfterFunc(d, func() {
		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			return
		}
		p.running.Add(1)
		p.mu.Unlock()
		defer p.running.Done()
		p.do(p.park)
	})
}

// park is the function queued on Fyne's loop.
func (p *Parker) park() {
	// While Fyne's loop drains on its way out it runs queued functions in
	// place (loop.go:43-46, "drained"), on the loop's own thread: the
	// p.do(p.park) at the end of a park would then call park inside park,
	// for ever, and the loop would never finish draining. A park entered
	// while one is under way is such a call, and ends at once.
	if !p.inPark.CompareAndSwap(false, true) {
		return
	}
	defer p.inPark.Store(false)
	p.mu.Lock()
	if p.stopped || !p.onLoop() {
		// Stopped, or the loop has ended and fyne.Do ran us in place.
		p.mu.Unlock()
		return
	}
	p.running.Add(1)
	p.mu.Unlock()
	defer p.running.Done()

	now := time.Now()
	if p.visible() || now.Before(p.holdUntil) {
		wait := p.recheck
		if d := p.holdUntil.Sub(now); d > 0 && d < wait {
			wait = d
		}
		p.later(wait)
		return
	}
	t := time.NewTimer(p.slice)
	defer t.Stop()
	select {
	case <-p.stop:
		return
	case <-p.wake:
		p.holdUntil = time.Now().Add(p.wakeGrace)
	case <-p.trayOpen:
		p.holdUntil = time.Now().Add(p.trayGrace)
	case <-t.C:
		p.parks.Add(1)
	}
	// Queued behind whatever arrived while parked, so that runs first.
	p.do(p.park)
}
