package async

import (
	"context"
	"sync"
	"testing"
	"time"
)

// queue plays the UI goroutine: posted functions run when drained.
type queue struct {
	mu sync.Mutex
	fs []func()
}

func (q *queue) do(f func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fs = append(q.fs, f)
}

func (q *queue) drain() int {
	q.mu.Lock()
	fs := q.fs
	q.fs = nil
	q.mu.Unlock()
	for _, f := range fs {
		f()
	}
	return len(fs)
}

// TestBackgroundCountsUntilApplied checks the count never reads zero
// between the work and its result being applied.
func TestBackgroundCountsUntilApplied(t *testing.T) {
	var tr Tracker
	q := &queue{}
	applied := make(chan struct{})
	tr.Background(q.do, time.Second, func(context.Context) func() {
		return func() { close(applied) }
	})
	deadline := time.Now().Add(5 * time.Second)
	for q.drain() == 0 {
		if tr.Load() == 0 {
			t.Fatal("nothing counted in flight before the result was applied")
		}
		if time.Now().After(deadline) {
			t.Fatal("result never posted")
		}
		time.Sleep(time.Millisecond)
	}
	<-applied
	for tr.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d in flight after the result was applied", tr.Load())
		}
		time.Sleep(time.Millisecond)
	}
	tr.Stop()
}

// TestStopEndsGoroutinesAndDropsLatePosts checks Stop cancels the view's
// context, waits for its goroutines, and that nothing posted or started
// afterwards runs: after Fyne's loop ends, a late widget change would run
// off the UI goroutine.
func TestStopEndsGoroutinesAndDropsLatePosts(t *testing.T) {
	var tr Tracker
	q := &queue{}
	exited := make(chan struct{})
	tr.Go(func(ctx context.Context) {
		<-ctx.Done()
		close(exited)
	})
	ran := false
	tr.Post(q.do, func() { ran = true }) // queued before Stop, run after
	tr.Stop()
	select {
	case <-exited:
	default:
		t.Fatal("Stop returned before the goroutine ended")
	}
	q.drain()
	if ran {
		t.Error("a function queued before Stop ran after it")
	}
	if tr.Go(func(context.Context) {}) {
		t.Error("Go started a goroutine after Stop")
	}
	tr.Post(q.do, func() { ran = true })
	tr.Background(q.do, time.Second, func(context.Context) func() { return func() { ran = true } })
	q.drain()
	if ran || tr.Load() != 0 {
		t.Errorf("work after Stop: ran %v, in flight %d", ran, tr.Load())
	}
}
