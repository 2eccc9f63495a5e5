package events

import (
	"io"
	"strconv"
	"strings"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
)

// exportHeader names the CSV columns, in the order WriteCSV writes them.
var exportHeader = []string{"id", "received_at", "last_seen_at", "type", "action", "status",
	"reason", "requester", "event_time", "test", "snapshot_id", "snapshot_name", "clone_id",
	"file", "report_ids", "unrecognised", "remote_addr", "user_agent", "secret_matched",
	"duplicates", "body_sha256"}

// WriteCSV writes rows as CSV with a header line. Every cell the sender
// controls could start a spreadsheet formula, so cells starting with = + - @
// (or a tab or carriage return) are prefixed with a single quote.
func WriteCSV(w io.Writer, rows []webhook.Event) error {
	return export.WriteCSV(w, exportHeader, rows, func(rec []string, r webhook.Event) []string {
		return append(rec, strconv.FormatInt(r.ID, 10), export.Time(r.ReceivedAt), export.Time(r.LastSeenAt),
			r.Type, r.Action, r.Status, r.Reason, r.Requester, export.Time(r.Time()),
			strconv.FormatBool(r.Test), r.SnapshotID, r.SnapshotName, r.CloneID, r.File,
			strings.Join(r.ReportIDs, " "), strings.Join(r.Unrecognised, " "), r.RemoteAddr,
			r.UserAgent, r.SecretMatched, strconv.FormatInt(r.Duplicates, 10), r.BodySHA256)
	})
}

// exportEvent is one event in a JSON export.
type exportEvent struct {
	ID            int64    `json:"id"`
	ReceivedAt    string   `json:"received_at"`
	LastSeenAt    string   `json:"last_seen_at"`
	Type          string   `json:"type"`
	Action        string   `json:"action"`
	Status        string   `json:"status"`
	Reason        string   `json:"reason,omitempty"`
	Requester     string   `json:"requester"`
	EventTime     string   `json:"event_time"`
	Test          bool     `json:"test"`
	SnapshotID    string   `json:"snapshot_id,omitempty"`
	SnapshotName  string   `json:"snapshot_name,omitempty"`
	CloneID       string   `json:"clone_id,omitempty"`
	File          string   `json:"file,omitempty"`
	ReportIDs     []string `json:"report_ids,omitempty"`
	Unrecognised  []string `json:"unrecognised,omitempty"`
	RemoteAddr    string   `json:"remote_addr"`
	UserAgent     string   `json:"user_agent,omitempty"`
	SecretMatched string   `json:"secret_matched"`
	Duplicates    int64    `json:"duplicates"`
	BodySHA256    string   `json:"body_sha256"`
}

// WriteJSON writes rows as an indented JSON array (empty: []).
func WriteJSON(w io.Writer, rows []webhook.Event) error {
	out := make([]exportEvent, 0, len(rows))
	for _, r := range rows {
		out = append(out, exportEvent{
			ID: r.ID, ReceivedAt: export.Time(r.ReceivedAt), LastSeenAt: export.Time(r.LastSeenAt),
			Type: r.Type, Action: r.Action, Status: r.Status, Reason: r.Reason, Requester: r.Requester,
			EventTime: export.Time(r.Time()), Test: r.Test, SnapshotID: r.SnapshotID,
			SnapshotName: r.SnapshotName, CloneID: r.CloneID, File: r.File, ReportIDs: r.ReportIDs,
			Unrecognised: r.Unrecognised, RemoteAddr: r.RemoteAddr, UserAgent: r.UserAgent,
			SecretMatched: r.SecretMatched, Duplicates: r.Duplicates, BodySHA256: r.BodySHA256,
		})
	}
	return export.WriteJSON(w, out)
}
