package events

import (
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func TestSummary(t *testing.T) {
	at := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		ev        webhook.Event
		wantTitle string
		want      string
	}{
		{name: "discovery failed",
			ev:        webhook.Event{Payload: webhook.Payload{TimestampMillis: at.UnixMilli(), Type: "snapshot", Action: "discover", Status: "failed", Reason: "out of memory", Requester: "user:1", SnapshotID: "s1", SnapshotName: "site-A"}},
			wantTitle: "Snapshot discover failed",
			want:      `The discover of snapshot "site-A" (s1) has failed: out of memory. Requested by user:1. IP Fabric's timestamp: 2025-03-04 09:00:00.`},
		{name: "snapshot without action or name",
			ev:        webhook.Event{Payload: webhook.Payload{Type: "snapshot", Status: "stopped", SnapshotID: "s1"}},
			wantTitle: "Snapshot stopped",
			want:      `Snapshot s1 was stopped.`},
		{name: "intent verification",
			ev:        webhook.Event{Payload: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover", SnapshotID: "s1", ReportIDs: []string{"1", "2"}}},
			wantTitle: "Intent verification calculate completed",
			want:      `The intent verification of snapshot s1 has completed (2 reports: 1, 2). Requested by snapshot:discover.`},
		{name: "test webhook",
			ev:        webhook.Event{Payload: webhook.Payload{Type: "snapshot", Action: "load", Status: "completed", Test: true, SnapshotName: "t"}},
			wantTitle: "Test webhook: Snapshot load completed",
			want:      `The load of snapshot "t" has completed. This is a test webhook: its signature checked out, so IP Fabric and ipfwatch share the secret.`},
		{name: "resumed stopping",
			ev:        webhook.Event{Payload: webhook.Payload{Type: "snapshot", Action: "discover", Status: "resumed (stopping)", SnapshotID: "s1"}},
			wantTitle: "Snapshot discover resumed (stopping)",
			want:      `The discover of snapshot s1 has resumed and is stopping.`},
		{name: "unknown type and fields",
			ev:        webhook.Event{Payload: webhook.Payload{Type: "backup", Action: "run", Status: "done", Unrecognised: []string{"type", "field:extra"}}},
			wantTitle: "backup run done",
			want:      `An event of type "backup", which ipfwatch does not know, action "run", status "done". Not known to ipfwatch (kept as sent): type, field:extra.`},
		{name: "control characters folded",
			ev:        webhook.Event{Payload: webhook.Payload{Type: "snapshot", Action: "discover", Status: "failed", Reason: "a\nb", SnapshotID: "s\u202e1"}},
			wantTitle: "Snapshot discover failed",
			want:      "The discover of snapshot s\uFFFD1 has failed: a\uFFFDb."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Title(tt.ev); got != tt.wantTitle {
				t.Errorf("Title = %q, want %q", got, tt.wantTitle)
			}
			if got := Summary(tt.ev, time.UTC); got != tt.want {
				t.Errorf("Summary =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestFacts(t *testing.T) {
	at := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ev   webhook.Event
		want []string
	}{
		{name: "first delivery", ev: webhook.Event{ID: 3, ReceivedAt: at, RemoteAddr: "192.0.2.1:1", SecretMatched: "current", BodySHA256: "ab"},
			want: []string{"Received at: 2025-03-04 10:00:00", "From: 192.0.2.1:1\n", "Secret matched: current", "Duplicates: none", "Event id: 3", "Body SHA-256: ab"}},
		{name: "previous secret and duplicates", ev: webhook.Event{ReceivedAt: at, LastSeenAt: at.Add(time.Hour), UserAgent: "IPF", SecretMatched: "previous", Duplicates: 4},
			want: []string{"Secret matched: previous (IP Fabric still signs with the old secret; update it there)", "Duplicates: 4 (last seen 2025-03-04 11:00:00)", "(IPF)"}},
	}
	cet := time.FixedZone("CET", 3600)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Facts(tt.ev, cet)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Facts lack %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestPrettyJSON(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", maxRawJSON) + `"}`
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "indented", body: `{"type":"snapshot","snapshot":{"id":"s1"}}`,
			want: "{\n  \"type\": \"snapshot\",\n  \"snapshot\": {\n    \"id\": \"s1\"\n  }\n}"},
		{name: "invisible characters escaped", body: "{\"n\":\"a\u202eb\u200bc\U000E0001\"}",
			want: "{\n  \"n\": \"a\\u202eb\\u200bc\\udb40\\udc01\"\n}"},
		{name: "invalid utf8", body: "{\"n\":\"a\xffb\"}", want: "{\n  \"n\": \"a\\ufffdb\"\n}"},
		{name: "not json", body: "<html>\x00", want: `"<html>\x00"`},
		{name: "empty", body: "", want: `""`},
		{name: "long cut", body: long, want: "{\n  \"a\": \"" + strings.Repeat("x", maxRawJSON-10) + "\n… cut: 65536 of 65549 characters shown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PrettyJSON([]byte(tt.body)); got != tt.want {
				if len(got) > 200 {
					got = got[:80] + "…" + got[len(got)-80:]
				}
				t.Errorf("PrettyJSON = %q", got)
			}
		})
	}
}
