package app

import "sync"

// ChangeKind says what changed, so a subscriber refreshes only what it shows.
type ChangeKind string

// What the app announces to its subscribers (the UI, tests).
const (
	EventStored       ChangeKind = "event"     // ID is the event id
	EventDuplicate    ChangeKind = "duplicate" // ID is the original event id
	RejectionRecorded ChangeKind = "rejection" // ID is the rejection id
	ProposalChanged   ChangeKind = "proposal"  // ID is the proposal id
	RunChanged        ChangeKind = "run"       // ID is the run id
	RunOutput         ChangeKind = "output"    // ID is the run id
	RulesChanged      ChangeKind = "rules"     // rules reloaded or edited
	StateChanged      ChangeKind = "state"     // listener state, pause, mute, settings
)

// Change is one announcement.
type Change struct {
	Kind ChangeKind
	ID   int64
}

// broadcaster fans changes out to subscribers. A slow subscriber loses
// announcements rather than slowing the listener: each channel is buffered
// and a full one is skipped, and since every announcement only says
// "refresh", a subscriber that catches up refreshes once and is current.
type broadcaster struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Change
}

func (b *broadcaster) subscribe() (<-chan Change, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]chan Change{}
	}
	id := b.next
	b.next++
	ch := make(chan Change, 256)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(c)
		}
	}
}

func (b *broadcaster) publish(c Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- c:
		default:
		}
	}
}
