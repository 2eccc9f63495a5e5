// Package notify turns what ipfwatch sees into desktop notifications without
// ever producing a storm: bursts are coalesced, signature failures are rate
// limited, muted notifications are counted and summarised on unmute.
package notify

// Kind says what a notification is about; each kind can be switched off in
// Settings.
type Kind string

// The kinds of notification ipfwatch sends.
const (
	SnapshotCompleted Kind = "snapshot-completed"
	SnapshotFailed    Kind = "snapshot-failed"
	IntentCompleted   Kind = "intent-completed"
	TestWebhook       Kind = "test-webhook"
	SignatureFailure  Kind = "signature-failure"
	ApprovalPending   Kind = "approval-pending"
	RunEnded          Kind = "run-ended"
)

// Notification is one message for the desktop.
type Notification struct {
	Kind   Kind
	Title  string
	Body   string
	Urgent bool
}

// Sender delivers one notification to the desktop. The beeep implementation
// talks to the notification daemon; tests observe a real daemon (dunst).
type Sender interface {
	Send(title, body string, urgent bool) error
}

// Nowhere is a Sender for processes that must not notify: the CLI's
// one-shot commands, whose work the running ipfwatch reports.
type Nowhere struct{}

// Send drops the notification.
func (Nowhere) Send(string, string, bool) error { return nil }
