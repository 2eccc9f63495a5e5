// Package listener receives IP Fabric webhooks over HTTP. It checks the size,
// the signature over the raw bytes and the payload, then hands what it
// accepted or refused to a Sink. It knows nothing of SQLite, Fyne or the rest
// of ipfwatch: the model it produces is package webhook, and everything it
// needs from outside is declared here.
package listener

import (
	"context"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Result is what the Sink did with an accepted event.
type Result struct {
	ID        int64 // the stored event's id (the original one for a duplicate)
	Duplicate bool
}

// Sink receives what the handler decided. Accept must return only after the
// event is committed to durable storage: the handler answers 2xx on a nil
// error and 503 otherwise. Reject is best effort and must not block long.
type Sink interface {
	Accept(ctx context.Context, e webhook.Event) (Result, error)
	Reject(ctx context.Context, r webhook.Rejection)
}
