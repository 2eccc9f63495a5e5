package notify

import (
	"strings"
	"unicode"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// whereToLook ends bodies that need action: beeep cannot open the app on a
// click, so the text says where the details are.
const whereToLook = "Open ipfwatch > Events for details"

// Field limits keep a long reason or name from a (correctly signed but odd)
// sender from flooding the notification bubble.
const (
	maxReason = 300
	maxField  = 120
)

// ForEvent decides whether one newly stored event tells the engineer
// something, and what: a failed snapshot (urgent, with the reason), a
// completed snapshot, a completed intent verification, or a test webhook
// (which proves the shared secret works). Started, resumed, stopped and
// unknown statuses and types say nothing worth interrupting for.
//
// The caller passes only new events: a duplicate delivery (IP Fabric
// retrying, or a replay) is filtered out before ForEvent, so a retried
// webhook never notifies twice. ForEvent itself has no memory.
func ForEvent(e webhook.Payload) (Notification, bool) {
	typ := strings.ToLower(clean(e.Type, maxField))
	status := strings.ToLower(clean(e.Status, maxField))
	action := clean(e.Action, maxField)
	snapshot := snapshotLabel(e)

	if e.Test {
		what := strings.Join(nonEmpty(typ, action, status), " ")
		if what == "" {
			what = "event"
		}
		return Notification{
			Kind:  TestWebhook,
			Title: "Test webhook received: signature OK",
			Body:  "IP Fabric reached ipfwatch with a test " + what + " and the shared secret matches.",
		}, true
	}

	switch {
	case typ == "snapshot" && status == "failed":
		var body []string
		if r := clean(e.Reason, maxReason); r != "" {
			body = append(body, "Reason: "+r)
		}
		if snapshot != "" {
			body = append(body, "Snapshot: "+snapshot)
		}
		body = append(body, whereToLook)
		return Notification{
			Kind:   SnapshotFailed,
			Title:  title("Snapshot", action, "failed"),
			Body:   strings.Join(body, "\n"),
			Urgent: true,
		}, true
	case typ == "snapshot" && status == "completed":
		return Notification{
			Kind:  SnapshotCompleted,
			Title: title("Snapshot", action, "completed"),
			Body:  bodyFor(snapshot),
		}, true
	case typ == "intent-verification" && status == "completed":
		return Notification{
			Kind:  IntentCompleted,
			Title: "Intent verification completed",
			Body:  bodyFor(snapshot),
		}, true
	}
	return Notification{}, false
}

func title(what, action, status string) string {
	return strings.Join(nonEmpty(what, action, status), " ")
}

func bodyFor(snapshot string) string {
	if snapshot == "" {
		return whereToLook
	}
	return "Snapshot: " + snapshot
}

// snapshotLabel names the snapshot the way the engineer knows it: its name,
// with the id to tell apart snapshots of the same name.
func snapshotLabel(e webhook.Payload) string {
	name, id := clean(e.SnapshotName, maxField), clean(e.SnapshotID, maxField)
	switch {
	case name != "" && id != "":
		return name + " (" + id + ")"
	case name != "":
		return name
	default:
		return id
	}
}

// clean makes payload text fit for one line of a notification: control
// characters become spaces, runs of space collapse, and the result is cut
// to limit runes with an ellipsis.
func clean(s string, limit int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if r := []rune(s); len(r) > limit {
		return string(r[:limit-1]) + "…"
	}
	return s
}

func nonEmpty(parts ...string) []string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
