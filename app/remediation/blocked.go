package remediation

import (
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Blocked is a rule on intent checks that made no proposal for an event
// because IP Fabric's API could not give the checks: the Approvals view
// says so, since nothing else would show it.
type Blocked struct {
	EventID int64
	Event   string // the event in one line
	Rule    string
	Reason  string
	At      time.Time
}

// maxBlocked bounds the list: the newest are what an engineer acts on.
const maxBlocked = 20

func (m *Manager) noteBlocked(e webhook.Event, rule, reason string) {
	b := Blocked{EventID: e.ID, Event: eventSummary(e), Rule: rule, Reason: reason, At: m.now()}
	m.mu.Lock()
	kept := []Blocked{b}
	for _, old := range m.blocked {
		if (old.EventID != b.EventID || old.Rule != b.Rule) && len(kept) < maxBlocked {
			kept = append(kept, old)
		}
	}
	m.blocked = kept
	m.mu.Unlock()
	m.emit(Change{Kind: ChangeProposal})
}

// unblock forgets what noteBlocked said of an event, once its checks came.
func (m *Manager) unblock(eventID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.blocked[:0]
	for _, b := range m.blocked {
		if b.EventID != eventID {
			kept = append(kept, b)
		}
	}
	m.blocked = kept
}

// WaitingOnIPF lists, newest first, the rules on intent checks that made
// no proposal because IP Fabric's API could not give an event's checks.
func (m *Manager) WaitingOnIPF() []Blocked {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Blocked(nil), m.blocked...)
}
