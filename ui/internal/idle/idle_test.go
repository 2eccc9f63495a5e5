package idle

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLoop stands in for Fyne's GLFW loop: one goroutine running queued
// functions in order, and, once ended, running them in place on the
// caller's goroutine, as fyne.Do does after Fyne's loop has drained.
type fakeLoop struct {
	mu     sync.Mutex
	q      []func()
	more   chan struct{}
	quit   bool // asked to end, like Fyne's d.done
	ended  bool // drained: do now runs functions in place
	inLoop atomic.Bool
	done   chan struct{}
}

func newFakeLoop() *fakeLoop {
	l := &fakeLoop{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			l.mu.Lock()
			if l.quit {
				// Only the loop itself, between functions, drains
				// and ends, as in Fyne (loop.go:130-146).
				l.q, l.ended = nil, true
				l.mu.Unlock()
				return
			}
			var f func()
			if len(l.q) > 0 {
				f, l.q = l.q[0], l.q[1:]
			}
			l.mu.Unlock()
			if f == nil {
				<-l.more
				continue
			}
			l.inLoop.Store(true)
			f()
			l.inLoop.Store(false)
		}
	}()
	return l
}

func (l *fakeLoop) do(f func()) {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		f()
		return
	}
	l.q = append(l.q, f)
	l.mu.Unlock()
	select {
	case l.more <- struct{}{}:
	default:
	}
}

// end stops the loop after the function it is running, discarding the
// queue, like Fyne's loop.go:138-146.
func (l *fakeLoop) end() {
	l.mu.Lock()
	l.quit = true
	l.mu.Unlock()
	select {
	case l.more <- struct{}{}:
	default:
	}
	<-l.done
}

func newTestParker(l *fakeLoop, visible func() bool, slice time.Duration) (*Parker, chan struct{}) {
	p := NewParker(visible)
	tray := make(chan struct{})
	p.do, p.onLoop, p.trayOpen = l.do, l.inLoop.Load, tray
	p.slice, p.recheck, p.wakeGrace, p.trayGrace = slice, 5*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
	return p, tray
}

// within fails the test if ch does not deliver: a hang guard, not a speed
// goal.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("never: %s", what)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestParksWhileHiddenAndRunsQueuedWork(t *testing.T) {
	l := newFakeLoop()
	defer l.end()
	p, _ := newTestParker(l, func() bool { return false }, 5*time.Millisecond)
	p.Start()
	defer p.Stop()
	eventually(t, "three slices parked", func() bool { return p.Parks() >= 3 })
	// Work queued while parked (a tray click) runs between two slices.
	clicked := make(chan struct{})
	l.do(func() { close(clicked) })
	within(t, clicked, "queued function run while hidden")
	n := p.Parks()
	eventually(t, "parking goes on after the click", func() bool { return p.Parks() > n })
}

func TestWakeAndTrayOpenEndAParkAtOnce(t *testing.T) {
	for _, how := range []string{"Wake", "tray opened"} {
		t.Run(how, func(t *testing.T) {
			l := newFakeLoop()
			defer l.end()
			asked := make(chan struct{}, 100)
			// A slice longer than the test: only waking can end it.
			p, tray := newTestParker(l, func() bool { asked <- struct{}{}; return false }, time.Hour)
			p.Start()
			defer p.Stop()
			within(t, asked, "first park")
			ran := make(chan struct{})
			l.do(func() { close(ran) })
			if how == "Wake" {
				p.Wake()
			} else {
				tray <- struct{}{} // blocks until the park receives it
			}
			within(t, ran, "queued function after "+how)
			if p.Parks() != 0 {
				t.Errorf("%d slices ran out; the park should have been ended early", p.Parks())
			}
		})
	}
}

func TestNoParkingWhileVisible(t *testing.T) {
	l := newFakeLoop()
	defer l.end()
	var looks atomic.Int64
	p, _ := newTestParker(l, func() bool { looks.Add(1); return true }, time.Hour)
	p.Start()
	defer p.Stop()
	eventually(t, "visibility looked at again", func() bool { return looks.Load() >= 3 })
	// Between looks the loop is free: a queued function runs although
	// the slice is an hour long.
	ran := make(chan struct{})
	l.do(func() { close(ran) })
	within(t, ran, "queued function while visible")
	if p.Parks() != 0 {
		t.Errorf("parked %d times with a window visible", p.Parks())
	}
}

func TestParksAgainOnceHidden(t *testing.T) {
	l := newFakeLoop()
	defer l.end()
	var shown atomic.Bool
	shown.Store(true)
	p, _ := newTestParker(l, shown.Load, 5*time.Millisecond)
	p.Start()
	defer p.Stop()
	time.Sleep(20 * time.Millisecond)
	if p.Parks() != 0 {
		t.Fatalf("parked %d times while shown", p.Parks())
	}
	shown.Store(false)
	eventually(t, "parking after the window was hidden", func() bool { return p.Parks() > 0 })
}

// TestNothingRunsAfterStop ends the loop while parked, as Fyne's Quit
// does, after which queued functions run in place: the parker must not
// block or re-queue itself on the caller's goroutine, and after Stop
// nothing of it runs.
func TestNothingRunsAfterStop(t *testing.T) {
	l := newFakeLoop()
	var looks atomic.Int64
	p, _ := newTestParker(l, func() bool { looks.Add(1); return false }, 5*time.Millisecond)
	p.Start()
	eventually(t, "parking", func() bool { return p.Parks() > 0 })
	l.end()
	// A park run in place off the loop returns at once.
	start := make(chan struct{})
	go func() { l.do(p.park); close(start) }()
	within(t, start, "park run in place after the loop ended")
	p.Stop()
	n := looks.Load()
	p.Start() // after Stop: does nothing
	p.Wake()
	time.Sleep(50 * time.Millisecond)
	if looks.Load() != n {
		t.Errorf("visible was asked %d more times after Stop", looks.Load()-n)
	}
}

// TestDrainingLoopRunsParkInPlace: while Fyne's loop drains on its way out
// it runs queued functions in place, on its own thread. A park then
// queueing the next one must not call park inside park for ever: the loop
// would never finish, and the app never quit.
func TestDrainingLoopRunsParkInPlace(t *testing.T) {
	p := NewParker(func() bool { return false })
	calls := 0
	p.do = func(f func()) { calls++; f() } // in place, as while draining
	p.onLoop = func() bool { return true } // on the loop's thread
	p.slice = time.Millisecond
	done := make(chan struct{})
	go func() {
		p.park()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("park recursed in place instead of returning")
	}
	if calls != 1 {
		t.Errorf("park queued itself %d times in place, want once (then the inner call returns)", calls)
	}
	p.Stop()
}
