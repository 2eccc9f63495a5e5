package app

import (
	"context"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Accept commits an event and returns once it is on disk; the listener
// answers 2xx only then. What follows (notifications, remediation
// proposals, UI refresh) is queued for after the answer so it never delays
// it, and works on this same event, with the id the store gave it: nothing
// reads back the row just written.
func (a *App) Accept(ctx context.Context, e webhook.Event) (listener.Result, error) {
	res, err := a.store.InsertEvent(ctx, e)
	if err != nil {
		return listener.Result{}, err
	}
	if res.Duplicate {
		// Duplicates never notify nor propose: IP Fabric retrying is not news.
		a.publish(Change{Kind: EventDuplicate, ID: res.ID})
		return listener.Result{ID: res.ID, Duplicate: true}, nil
	}
	e.ID = res.ID
	e.LastSeenAt = e.ReceivedAt
	a.post.push(postItem{event: &e})
	return listener.Result{ID: res.ID}, nil
}

// Reject records a refused delivery. It is best effort: a failure is
// logged, and the client still gets its 4xx. The listener bounds ctx
// (rejectTimeout), detached from the client's.
func (a *App) Reject(ctx context.Context, r webhook.Rejection) {
	id, err := a.store.InsertRejection(ctx, r)
	if err != nil {
		a.log.Error("rejection not recorded", "remote", r.RemoteAddr, "reason", r.Reason, "err", err)
		return
	}
	r.ID = id
	a.post.push(postItem{rejection: &r})
}

// postItem is work to do after a delivery was answered: an event stored, or
// a rejection recorded.
type postItem struct {
	event     *webhook.Event
	rejection *webhook.Rejection
}

// postTimeout bounds the database work one stored event causes afterwards.
const postTimeout = 30 * time.Second

func (a *App) processPost(it postItem) {
	if r := it.rejection; r != nil {
		a.publish(Change{Kind: RejectionRecorded, ID: r.ID})
		if r.Reason == listener.ReasonInvalidSignature {
			body := "A delivery was refused: " + r.Reason
			if r.Hint != "" {
				body += " (" + r.Hint + ")"
			}
			a.center.Post(notify.Notification{Kind: notify.SignatureFailure, Title: "Signature failure", Body: body + ". See Signature failures in ipfwatch."})
		}
		return
	}
	e := *it.event
	a.publish(Change{Kind: EventStored, ID: e.ID})
	// An event IP Fabric's API can say more about is notified once the
	// lookup has answered (onEnriched); the others now.
	if !a.enrich.Add(e) {
		a.notifyEvent(e.Payload, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), postTimeout)
	defer cancel()
	if _, err := a.rem.OnEvent(ctx, e); err != nil {
		a.log.Error("remediation: proposals not created", "event", e.ID, "err", err)
	}
}
