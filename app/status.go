package app

import (
	"context"
	"time"
)

// ListenerState is what the tray icon and status line show, worst first.
type ListenerState string

// The listener states.
const (
	StateError     ListenerState = "error"     // cannot bind, or no secret configured
	StatePaused    ListenerState = "paused"    // answering 503 so IP Fabric retries later
	StateListening ListenerState = "listening" // all well
	StateStopped   ListenerState = "stopped"   // not started yet, or shut down
)

// Status is a snapshot of everything the tray and the status bar show.
type Status struct {
	State           ListenerState
	Error           string // why State is StateError
	Addr            string // bound address
	Listen          string // configured address
	Path            string
	EventsToday     int64
	RejectionsToday int64
	Pending         int   // remediation proposals awaiting approval
	UnseenFailures  int64 // rejections since the engineer last looked
	Muted           bool
	MutedUntil      time.Time
	NotifyError     string // last notification failure, if any
	// CaughtUp is how many events the last catch-up from IP Fabric's API
	// added, at CaughtUpAt; 0 when it added none.
	CaughtUp   int
	CaughtUpAt time.Time
	// IPF is why IP Fabric's API is not in use, "" when it is.
	IPF string
}

// Status gathers the current state. It reads the store, so call it off
// the UI goroutine.
func (a *App) Status(ctx context.Context) Status {
	a.mu.Lock()
	s := Status{Listen: a.effective.Listen, Path: a.effective.Path}
	listenErr := a.listenErr
	if a.srv != nil {
		s.Addr = a.srv.addr
	}
	a.mu.Unlock()
	switch {
	case listenErr != nil:
		s.State, s.Error = StateError, listenErr.Error()
	case a.secretSet.Load().Current == "":
		s.State, s.Error = StateError, "no webhook secret configured"
	case s.Addr == "":
		s.State = StateStopped
	case a.paused.Load():
		s.State = StatePaused
	default:
		s.State = StateListening
	}
	now := a.now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	if ev, rej, err := a.store.CountSince(ctx, midnight); err == nil {
		s.EventsToday, s.RejectionsToday = ev, rej
	}
	if n, err := a.rem.PendingCount(ctx); err == nil {
		s.Pending = n
	}
	if _, rej, err := a.store.LatestIDs(ctx); err == nil {
		if seen := a.seenRejectionID.Load(); rej > seen {
			s.UnseenFailures = rej - seen
		}
	}
	s.Muted, s.MutedUntil = a.center.Muted()
	a.mu.Lock()
	s.CaughtUp, s.CaughtUpAt, s.IPF = a.caughtUp, a.caughtUpAt, a.ipfErr
	a.mu.Unlock()
	if err := a.center.LastError(); err != nil {
		s.NotifyError = err.Error()
	}
	return s
}

// MarkFailuresSeen clears the attention the tray shows for new rejections:
// the engineer has opened the Signature failures view.
func (a *App) MarkFailuresSeen(ctx context.Context) {
	if _, rej, err := a.store.LatestIDs(ctx); err == nil {
		a.seenRejectionID.Store(rej)
		a.publish(Change{Kind: StateChanged})
	}
}
