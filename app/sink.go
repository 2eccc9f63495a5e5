package app

import (
	"context"
	"sync"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/listener"
)

// Accept commits a delivery and returns once it is on disk; the listener
// answers 2xx only then. What follows (notifications, remediation
// proposals, UI refresh) is queued for after the answer so it never delays
// it.
func (a *App) Accept(ctx context.Context, d listener.Delivery) (listener.Result, error) {
	res, err := a.store.InsertEvent(ctx, d)
	if err != nil {
		return res, err
	}
	if res.Duplicate {
		// Duplicates never notify nor propose: IP Fabric retrying is not news.
		a.publish(Change{Kind: EventDuplicate, ID: res.ID})
		return res, nil
	}
	a.post.push(postItem{eventID: res.ID, facts: factsOf(d.Event)})
	return res, nil
}

// rejectTimeout bounds how long recording a rejection may hold up the
// answer to a client we have already decided to refuse.
const rejectTimeout = 2 * time.Second

// Reject records a refused delivery. It is best effort: a failure is
// logged, and the client still gets its 4xx.
func (a *App) Reject(ctx context.Context, r listener.Rejection) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rejectTimeout)
	defer cancel()
	id, err := a.store.InsertRejection(ctx, r)
	if err != nil {
		a.log.Error("rejection not recorded", "remote", r.RemoteAddr, "reason", r.Reason, "err", err)
		return
	}
	a.post.push(postItem{rejectionID: id, rejection: r.Reason, hint: r.Hint})
}

func factsOf(e listener.Event) notify.EventFacts {
	return notify.EventFacts{
		Type: e.Type, Action: e.Action, Status: e.Status, Reason: e.Reason,
		SnapshotID: e.SnapshotID, SnapshotName: e.SnapshotName, Test: e.Test,
	}
}

// postItem is work to do after a delivery was answered.
type postItem struct {
	eventID     int64
	facts       notify.EventFacts
	rejectionID int64
	rejection   string
	hint        string
}

func (a *App) processPost(it postItem) {
	if it.rejectionID != 0 {
		a.publish(Change{Kind: RejectionRecorded, ID: it.rejectionID})
		if isSignatureFailure(it.rejection) {
			body := "A delivery was refused: " + it.rejection
			if it.hint != "" {
				body += " (" + it.hint + ")"
			}
			a.center.Post(notify.Notification{Kind: notify.SignatureFailure, Title: "Signature failure", Body: body + ". See Signature failures in ipfwatch."})
		}
		return
	}
	a.publish(Change{Kind: EventStored, ID: it.eventID})
	if n, ok := notify.ForEvent(it.facts); ok {
		a.center.Post(n)
	}
	if !a.rem.HasEnabledRules() {
		return // nothing could be proposed: spare the read
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ev, err := a.store.GetEvent(ctx, it.eventID)
	if err != nil {
		a.log.Error("remediation: event not readable", "event", it.eventID, "err", err)
		return
	}
	if _, err := a.rem.OnEvent(ctx, ev); err != nil {
		a.log.Error("remediation: proposals not created", "event", it.eventID, "err", err)
	}
}

func isSignatureFailure(reason string) bool { return reason == "Invalid message signature" }

// postQueue is an unbounded FIFO served by one goroutine, so a burst of
// deliveries never blocks Accept and work is done in arrival order.
type postQueue struct {
	mu     sync.Mutex
	items  []postItem
	wake   chan struct{}
	closed bool
}

func (q *postQueue) start(wg *sync.WaitGroup, fn func(postItem)) {
	q.mu.Lock()
	q.wake = make(chan struct{}, 1)
	q.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			q.mu.Lock()
			items := q.items
			q.items = nil
			closed := q.closed
			q.mu.Unlock()
			for _, it := range items {
				fn(it)
			}
			if len(items) > 0 {
				continue
			}
			if closed {
				return
			}
			<-q.wake
		}
	}()
}

func (q *postQueue) push(it postItem) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.wake == nil {
		return
	}
	q.items = append(q.items, it)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close lets the worker finish what is queued, then stop.
func (q *postQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	if q.wake != nil {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}
