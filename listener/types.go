// Package listener receives IP Fabric webhooks over HTTP. It checks the size,
// the signature over the raw bytes and the payload, then hands what it accepted
// or refused to a Sink. It knows nothing of SQLite, Fyne or the rest of ipfwatch:
// everything it needs from outside is declared here.
package listener

import (
	"context"
	"time"
)

// Event is one IP Fabric payload, parsed. Fields IP Fabric did not send are
// left at their zero value; anything the model does not know is listed in
// Unrecognised rather than rejected, because a correctly signed sender is
// trusted to be newer than us, not wrong.
type Event struct {
	Type      string // "snapshot", "intent-verification", or whatever was sent
	Action    string
	Status    string
	Reason    string // why the action failed; optional, sent with status "failed"
	Requester string
	// Timestamp is the event time as sent, normalised to epoch milliseconds
	// (IP Fabric sends milliseconds; values below 1e11 are taken as seconds).
	TimestampMillis int64
	Test            bool

	// SnapshotID is snapshot.id for snapshot events and snapshotId for
	// intent verifications, so events of one snapshot can be correlated.
	SnapshotID   string
	SnapshotName string // snapshot.name
	CloneID      string // snapshot.cloneId
	File         string // snapshot.file
	ReportIDs    []string

	// Unrecognised lists, in a stable order, what the model did not know:
	// "type", "action", "status", "requester" and "field:<name>" for extra keys.
	Unrecognised []string
}

// Time returns the event timestamp as a time.Time.
func (e Event) Time() time.Time { return time.UnixMilli(e.TimestampMillis) }

// Delivery is one accepted HTTP request: a correctly signed, parsed payload.
type Delivery struct {
	Event      Event
	Body       []byte // raw body, byte for byte
	BodySHA256 string // lowercase hex
	// Key identifies the event independently of formatting: type, action,
	// status, snapshot id, report ids, timestamp and test flag.
	Key           string
	RemoteAddr    string
	UserAgent     string
	ReceivedAt    time.Time
	SecretMatched string // "current" or "previous"
}

// Rejection is one refused request, described well enough for an engineer to
// see why IP Fabric and ipfwatch disagree. It never holds a secret or the
// signature we computed.
type Rejection struct {
	ReceivedAt time.Time
	RemoteAddr string
	Method     string
	Path       string
	UserAgent  string
	Size       int64  // bytes read (capped by the size limit)
	Status     int    // HTTP status we answered
	Reason     string // short, one of the Reason* constants, e.g. "Invalid message signature"
	// Hint is the detail an engineer needs, may be empty: one of the Hint*
	// constants for a signature failure, "<field>: <reason>" for an invalid
	// payload, "event is 2h0m0s old (max age 1h0m0s)" for a stale one.
	Hint        string
	Signature   string // X-IPF-Signature as received, truncated to 256 bytes
	BodySHA256  string // lowercase hex; empty for a body over the size limit
	BodyPreview []byte // first 4 KiB of the body
	// Headers holds up to 50 request headers, one value each, names and
	// values truncated to 256 bytes, without Authorization,
	// Proxy-Authorization and Cookie.
	Headers map[string]string
}

// Result is what the Sink did with a Delivery.
type Result struct {
	ID        int64 // the stored event's id (the original one for a duplicate)
	Duplicate bool
}

// Sink receives what the handler decided. Accept must return only after the
// delivery is committed to durable storage: the handler answers 2xx on a nil
// error and 503 otherwise. Reject is best effort and must not block long.
type Sink interface {
	Accept(ctx context.Context, d Delivery) (Result, error)
	Reject(ctx context.Context, r Rejection)
}
