package app

import (
	"context"
	"sync"
)

// ChangeKind says what changed, so a subscriber refreshes only what it shows.
type ChangeKind string

// What the app announces to its subscribers (the UI, tests).
const (
	EventStored       ChangeKind = "event"     // ID is the event id
	EventDuplicate    ChangeKind = "duplicate" // ID is the original event id
	EventEnriched     ChangeKind = "enriched"  // ID is the event id: its IP Fabric lookup ended
	RejectionRecorded ChangeKind = "rejection" // ID is the rejection id
	ProposalChanged   ChangeKind = "proposal"  // ID is the proposal id
	RunChanged        ChangeKind = "run"       // ID is the run id
	RunOutput         ChangeKind = "output"    // ID is the run id
	RulesChanged      ChangeKind = "rules"     // rules reloaded or edited
	StateChanged      ChangeKind = "state"     // listener state, pause, mute, settings
)

// Change is one announcement. An ID of 0 means "rows of this kind changed,
// which ones is not said": a change made by another process, or changes
// folded together because a subscriber fell far behind. A subscriber then
// refreshes everything of that kind it shows.
type Change struct {
	Kind ChangeKind
	ID   int64
}

// maxPending is how many distinct changes a subscriber's mailbox holds
// before it folds them into one change per kind.
const maxPending = 1024

// broadcaster fans changes out to subscribers. Publishing never blocks and
// never loses a change: each subscriber has its own mailbox, a change
// already waiting there is not queued twice, and a mailbox that grows past
// maxPending folds its changes into one per kind (ID 0). So a slow
// subscriber costs the listener nothing, delays no other subscriber, and
// when it catches up it refreshes once and is current.
type broadcaster struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription is one subscriber's mailbox. Read it with Next from one
// goroutine; Close it when done.
type Subscription struct {
	b *broadcaster

	mu      sync.Mutex
	pending []Change
	waiting map[Change]struct{}
	ready   chan struct{} // holds a token while pending is not empty
	closed  bool
}

func (b *broadcaster) subscribe() *Subscription {
	s := &Subscription{b: b, waiting: map[Change]struct{}{}, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[*Subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	return s
}

func (b *broadcaster) publish(c Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.put(c)
	}
}

func (s *Subscription) put(c Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if _, dup := s.waiting[c]; dup {
		return
	}
	if _, all := s.waiting[Change{Kind: c.Kind}]; all {
		return // a refresh of every row of this kind is already waiting
	}
	if len(s.pending) >= maxPending {
		s.foldLocked()
		if _, all := s.waiting[Change{Kind: c.Kind}]; all {
			return
		}
		c.ID = 0
	}
	s.pending = append(s.pending, c)
	s.waiting[c] = struct{}{}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// foldLocked replaces the waiting changes by one per kind, ID 0, in the
// order the kinds first appeared.
func (s *Subscription) foldLocked() {
	seen := map[ChangeKind]bool{}
	folded := s.pending[:0]
	for _, c := range s.pending {
		if !seen[c.Kind] {
			seen[c.Kind] = true
			folded = append(folded, Change{Kind: c.Kind})
		}
	}
	s.pending = folded
	clear(s.waiting)
	for _, c := range s.pending {
		s.waiting[c] = struct{}{}
	}
}

// Next returns the oldest waiting change, waiting for one if there is none.
// It returns false once ctx is done or the subscription is closed.
func (s *Subscription) Next(ctx context.Context) (Change, bool) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Change{}, false
		}
		if len(s.pending) > 0 {
			c := s.pending[0]
			s.pending = s.pending[1:]
			delete(s.waiting, c)
			if len(s.pending) > 0 {
				select {
				case s.ready <- struct{}{}:
				default:
				}
			}
			s.mu.Unlock()
			return c, true
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Change{}, false
		case <-s.ready:
		}
	}
}

// Close ends the subscription: Next returns false from now on.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	delete(s.b.subs, s)
	s.b.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.pending = nil
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
