package notify

import (
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"strings"
	"testing"
)

func TestForEvent(t *testing.T) {
	tests := []struct {
		name string
		e    webhook.Payload
		want Notification
		ok   bool
	}{
		{
			name: "snapshot failed",
			e:    webhook.Payload{Type: "snapshot", Action: "discover", Status: "failed", Reason: "Timeout while connecting to 10.0.0.1", SnapshotID: "a1b2", SnapshotName: "nightly"},
			want: Notification{Kind: SnapshotFailed, Urgent: true, Title: "Snapshot discover failed",
				Body: "Reason: Timeout while connecting to 10.0.0.1\nSnapshot: nightly (a1b2)\nOpen ipfwatch > Events for details"},
			ok: true,
		},
		{
			name: "snapshot failed without reason or snapshot",
			e:    webhook.Payload{Type: "snapshot", Action: "load", Status: "failed"},
			want: Notification{Kind: SnapshotFailed, Urgent: true, Title: "Snapshot load failed", Body: "Open ipfwatch > Events for details"},
			ok:   true,
		},
		{
			name: "snapshot failed, id only, no action",
			e:    webhook.Payload{Type: "snapshot", Status: "failed", Reason: "disk full", SnapshotID: "a1b2"},
			want: Notification{Kind: SnapshotFailed, Urgent: true, Title: "Snapshot failed",
				Body: "Reason: disk full\nSnapshot: a1b2\nOpen ipfwatch > Events for details"},
			ok: true,
		},
		{
			name: "snapshot completed",
			e:    webhook.Payload{Type: "snapshot", Action: "discover", Status: "completed", SnapshotID: "a1b2", SnapshotName: "nightly"},
			want: Notification{Kind: SnapshotCompleted, Title: "Snapshot discover completed", Body: "Snapshot: nightly (a1b2)"},
			ok:   true,
		},
		{
			name: "snapshot completed, name only",
			e:    webhook.Payload{Type: "snapshot", Action: "clone", Status: "completed", SnapshotName: "before change"},
			want: Notification{Kind: SnapshotCompleted, Title: "Snapshot clone completed", Body: "Snapshot: before change"},
			ok:   true,
		},
		{
			name: "status and type case do not matter",
			e:    webhook.Payload{Type: "Snapshot", Action: "unload", Status: "COMPLETED"},
			want: Notification{Kind: SnapshotCompleted, Title: "Snapshot unload completed", Body: "Open ipfwatch > Events for details"},
			ok:   true,
		},
		{
			name: "intent verification completed",
			e:    webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", SnapshotID: "a1b2"},
			want: Notification{Kind: IntentCompleted, Title: "Intent verification completed", Body: "Snapshot: a1b2"},
			ok:   true,
		},
		{
			name: "test webhook",
			e:    webhook.Payload{Type: "snapshot", Action: "discover", Status: "started", Test: true},
			want: Notification{Kind: TestWebhook, Title: "Test webhook received: signature OK",
				Body: "IP Fabric reached ipfwatch with a test snapshot discover started and the shared secret matches."},
			ok: true,
		},
		{
			name: "a test of a failure is a test, not an alarm",
			e:    webhook.Payload{Type: "snapshot", Action: "discover", Status: "failed", Test: true},
			want: Notification{Kind: TestWebhook, Title: "Test webhook received: signature OK",
				Body: "IP Fabric reached ipfwatch with a test snapshot discover failed and the shared secret matches."},
			ok: true,
		},
		{
			name: "test webhook with nothing else",
			e:    webhook.Payload{Test: true},
			want: Notification{Kind: TestWebhook, Title: "Test webhook received: signature OK",
				Body: "IP Fabric reached ipfwatch with a test event and the shared secret matches."},
			ok: true,
		},
		{
			name: "control characters and long reasons are tamed",
			e: webhook.Payload{Type: "snapshot", Action: "dis\ncover", Status: "failed",
				Reason: "line one\r\nline\ttwo\x00 " + strings.Repeat("x", 400), SnapshotName: "a\x1b[31mb"},
			want: Notification{Kind: SnapshotFailed, Urgent: true, Title: "Snapshot dis cover failed",
				Body: "Reason: line one line two " + strings.Repeat("x", 300-len("line one line two ")-1) + "…\nSnapshot: a [31mb\nOpen ipfwatch > Events for details"},
			ok: true,
		},
		{name: "snapshot started", e: webhook.Payload{Type: "snapshot", Action: "discover", Status: "started"}},
		{name: "snapshot resumed", e: webhook.Payload{Type: "snapshot", Action: "discover", Status: "resumed"}},
		{name: "snapshot resumed (stopping)", e: webhook.Payload{Type: "snapshot", Action: "discover", Status: "resumed (stopping)"}},
		{name: "snapshot stopped", e: webhook.Payload{Type: "snapshot", Action: "discover", Status: "stopped"}},
		{name: "intent verification started", e: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "started"}},
		{name: "intent verification failed", e: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "failed"}},
		{name: "unknown type failed", e: webhook.Payload{Type: "report", Action: "build", Status: "failed"}},
		{name: "unknown status", e: webhook.Payload{Type: "snapshot", Action: "discover", Status: "exploded"}},
		{name: "empty", e: webhook.Payload{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ForEvent(tc.e)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ForEvent(%+v)\n = %+v, %v\nwant %+v, %v", tc.e, got, ok, tc.want, tc.ok)
			}
		})
	}
}
