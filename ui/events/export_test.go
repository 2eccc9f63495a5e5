package events

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func exportRow() webhook.Event {
	at := time.Date(2025, 3, 4, 9, 0, 0, 123e6, time.FixedZone("CET", 3600))
	return webhook.Event{Payload: webhook.Payload{Type: "snapshot", Action: "discover", Status: "failed", Reason: "out of memory", Requester: "user:1", SnapshotID: "snap-1", SnapshotName: "site-A", ReportIDs: []string{"1", "2"}, TimestampMillis: at.Add(-time.Second).UnixMilli()}, ID: 7, ReceivedAt: at, LastSeenAt: at.Add(time.Minute), RemoteAddr: "192.0.2.10:50123", UserAgent: "IPF", SecretMatched: "current", Duplicates: 2, BodySHA256: "ab12"}
}

func TestWriteCSV(t *testing.T) {
	const header = "id,received_at,last_seen_at,type,action,status,reason,requester,event_time,test,snapshot_id,snapshot_name,clone_id,file,report_ids,unrecognised,remote_addr,user_agent,secret_matched,duplicates,body_sha256\n"
	tests := []struct {
		name string
		edit func(r *webhook.Event)
		want string // the data line
	}{
		{name: "plain", edit: func(*webhook.Event) {},
			want: "7,2025-03-04T08:00:00.123Z,2025-03-04T08:01:00.123Z,snapshot,discover,failed,out of memory,user:1,2025-03-04T07:59:59.123Z,false,snap-1,site-A,,,1 2,,192.0.2.10:50123,IPF,current,2,ab12\n"},
		{name: "formula in name", edit: func(r *webhook.Event) { r.SnapshotName = "=HYPERLINK(\"http://x\")" },
			want: "7,2025-03-04T08:00:00.123Z,2025-03-04T08:01:00.123Z,snapshot,discover,failed,out of memory,user:1,2025-03-04T07:59:59.123Z,false,snap-1,\"'=HYPERLINK(\"\"http://x\"\")\",,,1 2,,192.0.2.10:50123,IPF,current,2,ab12\n"},
		{name: "plus minus at", edit: func(r *webhook.Event) { r.Reason, r.Requester, r.SnapshotID = "+1", "-2", "@SUM(A1)" },
			want: "7,2025-03-04T08:00:00.123Z,2025-03-04T08:01:00.123Z,snapshot,discover,failed,'+1,'-2,2025-03-04T07:59:59.123Z,false,'@SUM(A1),site-A,,,1 2,,192.0.2.10:50123,IPF,current,2,ab12\n"},
		{name: "tab and newline", edit: func(r *webhook.Event) { r.Reason, r.Test = "\tx\ny", true },
			want: "7,2025-03-04T08:00:00.123Z,2025-03-04T08:01:00.123Z,snapshot,discover,failed,\"'\tx\ny\",user:1,2025-03-04T07:59:59.123Z,true,snap-1,site-A,,,1 2,,192.0.2.10:50123,IPF,current,2,ab12\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exportRow()
			tt.edit(&r)
			var b bytes.Buffer
			if err := WriteCSV(&b, []webhook.Event{r}); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != header+tt.want {
				t.Errorf("CSV =\n%s\nwant\n%s", got, header+tt.want)
			}
			// Whatever the content, the file parses back to one header and one row.
			recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
			if err != nil || len(recs) != 2 || len(recs[1]) != len(exportHeader) {
				t.Errorf("CSV does not parse back: %d records, %v", len(recs), err)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name string
		rows []webhook.Event
		want string
	}{
		{name: "none", rows: nil, want: "[]\n"},
		{name: "one", rows: []webhook.Event{exportRow()}, want: `[
  {
    "id": 7,
    "received_at": "2025-03-04T08:00:00.123Z",
    "last_seen_at": "2025-03-04T08:01:00.123Z",
    "type": "snapshot",
    "action": "discover",
    "status": "failed",
    "reason": "out of memory",
    "requester": "user:1",
    "event_time": "2025-03-04T07:59:59.123Z",
    "test": false,
    "snapshot_id": "snap-1",
    "snapshot_name": "site-A",
    "report_ids": [
      "1",
      "2"
    ],
    "remote_addr": "192.0.2.10:50123",
    "user_agent": "IPF",
    "secret_matched": "current",
    "duplicates": 2,
    "body_sha256": "ab12"
  }
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, tt.rows); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("JSON =\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
