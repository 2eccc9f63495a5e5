package remediation

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/ipfwatch/ipfwatch/app/store"
)

// subscriberBuffer is how many output chunks a subscriber may fall behind
// before it is dropped (its channel closed; Run has the rest).
const subscriberBuffer = 256

// execution is a run executing in this process: its captured output, its
// subscribers and the means to stop it.
type execution struct {
	runID, proposalID int64
	rule              string
	limit             int
	marker            []byte
	extra             io.Writer // RunNow's terminal; written uncapped

	stopOnce sync.Once
	stopCh   chan struct{}
	reason   string // the state to end in; written before stopCh is closed

	mu        sync.Mutex
	out       []byte
	truncated bool
	dirty     bool
	ended     bool
	subs      map[int]chan []byte
	nextSub   int
}

// stop asks the execution to end in state reason (cancelled, interrupted).
// The first reason wins.
func (x *execution) stop(reason string) {
	x.stopOnce.Do(func() {
		x.reason = reason
		close(x.stopCh)
	})
}

// Write receives the program's stdout and stderr (one pipe, so their order is
// kept). Output beyond the cap is dropped after a marker, but the pipe keeps
// being drained so the program never blocks on a full pipe.
func (x *execution) Write(p []byte) (int, error) {
	x.mu.Lock()
	if !x.truncated {
		chunk := p
		if room := x.limit - len(x.out); len(p) > room {
			chunk = append(p[:room:room], x.marker...)
			x.truncated = true
		}
		x.out = append(x.out, chunk...)
		x.dirty = true
		if len(x.subs) > 0 {
			c := bytes.Clone(chunk)
			for id, ch := range x.subs {
				select {
				case ch <- c:
				default: // too far behind: drop it rather than block the program
					close(ch)
					delete(x.subs, id)
				}
			}
		}
	}
	x.mu.Unlock()
	if x.extra != nil {
		x.extra.Write(p) // best effort: a closed terminal must not fail the run
	}
	return len(p), nil
}

// snapshot returns a copy of the output so far; ok is false once ended.
func (x *execution) snapshot() (out []byte, truncated, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return bytes.Clone(x.out), x.truncated, !x.ended
}

// takeDirty returns the output if it changed since the last call.
func (x *execution) takeDirty() (out []byte, truncated, changed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.dirty {
		return nil, false, false
	}
	x.dirty = false
	return bytes.Clone(x.out), x.truncated, true
}

// end marks the execution ended and closes every subscriber.
func (x *execution) end() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ended = true
	for id, ch := range x.subs {
		close(ch)
		delete(x.subs, id)
	}
}

func (x *execution) subscribe() (<-chan []byte, func()) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ch := make(chan []byte, subscriberBuffer)
	if x.ended {
		close(ch)
		return ch, func() {}
	}
	if len(x.out) > 0 {
		ch <- bytes.Clone(x.out)
	}
	id := x.nextSub
	x.nextSub++
	x.subs[id] = ch
	return ch, func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		if c, ok := x.subs[id]; ok {
			close(c)
			delete(x.subs, id)
		}
	}
}

// Subscribe streams a run's output while this process executes it. The first
// chunk is everything captured so far, then each new chunk as it arrives. The
// channel is closed when the run ends (after its output is stored, so Run then
// returns all of it), when cancel is called, or if the receiver falls more
// than 256 chunks behind. For a run this process is not executing the channel
// is closed at once: read Run instead, refreshed on ChangeOutput.
func (m *Manager) Subscribe(runID int64) (<-chan []byte, func()) {
	m.mu.Lock()
	x := m.active[runID]
	m.mu.Unlock()
	if x == nil {
		ch := make(chan []byte)
		close(ch)
		return ch, func() {}
	}
	return x.subscribe()
}

func humanSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Runs lists runs newest first, without their output. A limit of 0 or less
// means no limit.
func (m *Manager) Runs(ctx context.Context, limit int) ([]store.Run, error) {
	return m.st.Runs(ctx, limit)
}

// Run returns one run with its output. While this process is running it, the
// output is the live one rather than the last copy flushed to the database.
func (m *Manager) Run(ctx context.Context, id int64) (store.Run, error) {
	r, err := m.st.Run(ctx, id)
	if err != nil {
		return r, err
	}
	m.mu.Lock()
	x := m.active[id]
	m.mu.Unlock()
	if x != nil {
		if live, trunc, ok := x.snapshot(); ok && len(live) >= len(r.Output) {
			r.Output, r.Truncated = live, trunc
		}
	}
	return r, nil
}
