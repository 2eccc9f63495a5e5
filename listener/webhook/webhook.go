// Package webhook is the model of IP Fabric's webhooks as ipfwatch keeps
// them: the parsed payload, the event an accepted delivery becomes, and the
// record of a refused one. The listener produces these, the store keeps
// them, and notifications, rules and the UI read them, all in this one
// shape. It knows nothing of HTTP, SQL or Fyne, so every layer can import it.
package webhook

import "time"

// Payload is one IP Fabric webhook body, parsed. Fields IP Fabric did not
// send are left at their zero value; anything the model does not know is
// listed in Unrecognised rather than rejected, because a correctly signed
// sender is trusted to be newer than us, not wrong.
type Payload struct {
	Type      string // "snapshot", "intent-verification", or whatever was sent
	Action    string
	Status    string
	Reason    string // why the action failed; optional, sent with status "failed"
	Requester string
	// TimestampMillis is the event time as sent, normalised to epoch
	// milliseconds (IP Fabric sends milliseconds; values below 1e11 are
	// taken as seconds).
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
func (p Payload) Time() time.Time { return time.UnixMilli(p.TimestampMillis) }

// Event is one accepted delivery: a correctly signed, parsed payload with
// what the listener saw of its request. The listener fills everything but
// ID, LastSeenAt and Duplicates, which the store assigns; from then on the
// same value is what notifications, rules and views read, so nothing has to
// read back the row that was just written.
type Event struct {
	Payload
	// ID is the stored event's id, 0 until it is stored.
	ID         int64
	Body       []byte // raw body, byte for byte; list queries leave it nil
	BodySHA256 string // lowercase hex
	// Key identifies the event independently of formatting: type, action,
	// status, snapshot id, report ids, timestamp and test flag (see Key).
	Key           string
	RemoteAddr    string
	UserAgent     string
	ReceivedAt    time.Time
	SecretMatched string // "current" or "previous"
	// Source is where the event came from: SourceWebhook, or SourceCatchUp
	// for one ipfwatch stored because IP Fabric's API showed a snapshot
	// finished while no webhook reached it. Empty means SourceWebhook.
	Source string

	// Kept by the store: when IP Fabric last repeated the delivery, and how
	// many times it did.
	LastSeenAt time.Time
	Duplicates int64
}

// Where an event came from.
const (
	SourceWebhook = "webhook"
	SourceCatchUp = "catch-up"
)

// CompletionKey names the completion an event reports, for the two kinds
// ipfwatch can also learn of from IP Fabric's API (catch-up): a snapshot's
// discovery, and the intent verification of a snapshot. It is "" for every
// other event. One completion is stored once, whichever way it arrived
// first.
func CompletionKey(p Payload) string {
	if p.Status != "completed" || p.SnapshotID == "" || p.Test {
		return ""
	}
	switch {
	case p.Type == TypeSnapshot && p.Action == "discover",
		p.Type == TypeIntentVerification && p.Action == "calculate":
		return p.Type + "/" + p.Action + "/completed/" + p.SnapshotID
	}
	return ""
}

// Rejection is one refused request, described well enough for an engineer to
// see why IP Fabric and ipfwatch disagree. It never holds a secret or the
// signature we computed.
type Rejection struct {
	// ID is the stored rejection's id, 0 until it is stored.
	ID         int64
	ReceivedAt time.Time
	RemoteAddr string
	Method     string
	Path       string
	UserAgent  string
	Size       int64  // bytes read (capped by the size limit)
	Status     int    // HTTP status we answered
	Reason     string // short, e.g. "Invalid message signature"
	// Hint is the detail an engineer needs, may be empty: the likely cause
	// of a signature failure, "<field>: <reason>" for an invalid payload,
	// "event is 2h0m0s old (max age 1h0m0s)" for a stale one.
	Hint        string
	Signature   string // X-IPF-Signature as received, truncated to 256 bytes
	BodySHA256  string // lowercase hex; empty for a body over the size limit
	BodyPreview []byte // first 4 KiB of the body
	// Headers holds up to 50 request headers, one value each, names and
	// values truncated to 256 bytes, without Authorization,
	// Proxy-Authorization and Cookie.
	Headers map[string]string
}
