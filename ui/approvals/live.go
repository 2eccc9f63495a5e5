package approvals

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ipfwatch/ipfwatch/app/store"
)

// liveSub is the subscription to the output of the run shown, while this
// process runs it.
type liveSub struct {
	runID  int64
	cancel func()
	mu     sync.Mutex // guards out between the reader goroutine and the UI
	out    []byte
	queued atomic.Bool // a flush to the UI is posted and not yet run
}

// follow subscribes to the output of the shown run once it is running. A
// run executed by this process streams it; for one executed by another
// process the channel closes at once, and RunOutput changes re-read it
// instead. UI goroutine.
func (v *View) follow(r store.Run) {
	if v.sub != nil && v.sub.runID == r.ID {
		return // already following it (or it is not ours to follow)
	}
	if r.State != store.StateRunning && r.State != store.StateCancelling {
		return // queued: follow once it starts; ended: nothing to follow
	}
	v.unfollow()
	ch, cancel := v.m.Subscribe(r.ID)
	s := &liveSub{runID: r.ID, cancel: cancel}
	v.sub = s
	v.liveRun.Store(r.ID)
	v.Pending.Go(func(ctx context.Context) {
		got := false
		for open := true; open; {
			select {
			case <-ctx.Done():
				cancel() // the view is going: stop following
				return
			case chunk, ok := <-ch:
				if open = ok; !ok {
					break
				}
				got = true
				s.mu.Lock()
				s.out = append(s.out, chunk...)
				s.mu.Unlock()
				if s.queued.CompareAndSwap(false, true) {
					v.Post(func() { v.flushLive(s) })
				}
			}
		}
		v.Post(func() {
			if v.sub != s {
				return
			}
			v.liveRun.CompareAndSwap(r.ID, 0)
			if got && v.sel == (selection{selRun, r.ID}) {
				// Ended here: its final state and output are stored now.
				v.show(v.sel)
			}
		})
	})
}

// flushLive shows the output received so far. UI goroutine.
func (v *View) flushLive(s *liveSub) {
	s.queued.Store(false)
	if v.sub != s || v.sel != (selection{selRun, s.runID}) {
		return
	}
	s.mu.Lock()
	out := append([]byte(nil), s.out...)
	s.mu.Unlock()
	v.pane.setOutput(out, s.runID)
}

// unfollow stops the subscription, if any. UI goroutine.
func (v *View) unfollow() {
	if v.sub != nil {
		v.sub.cancel()
	}
	v.sub = nil
	v.liveRun.Store(0)
}
