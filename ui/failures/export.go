package failures

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
)

// exportHeader names the CSV columns, in the order WriteCSV writes them.
var exportHeader = []string{"id", "received_at", "remote_addr", "method", "path", "user_agent",
	"size", "status", "reason", "hint", "likely_cause", "signature", "body_sha256", "headers", "body_preview"}

// headersJSON writes headers as one JSON object, keys sorted.
func headersJSON(h map[string]string) string {
	if len(h) == 0 {
		return "{}"
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "{}" // a map of strings always marshals
	}
	return string(b)
}

// WriteCSV writes rows as CSV with a header line. Everything in a refused
// delivery came from whoever sent it, so cells starting with = + - @ (or a
// tab or carriage return) are prefixed with a single quote to keep
// spreadsheets from running them, and the body preview is escaped as the
// view shows it.
func WriteCSV(w io.Writer, rows []webhook.Rejection) error {
	return export.WriteCSV(w, exportHeader, rows, func(rec []string, r webhook.Rejection) []string {
		_, cause := classify(r)
		return append(rec, strconv.FormatInt(r.ID, 10), export.Time(r.ReceivedAt), r.RemoteAddr,
			r.Method, r.Path, r.UserAgent, strconv.FormatInt(r.Size, 10), strconv.Itoa(r.Status),
			r.Reason, r.Hint, cause, r.Signature, r.BodySHA256, headersJSON(r.Headers),
			Preview(r.BodyPreview, r.Size))
	})
}

// exportRejection is one refused delivery in a JSON export.
type exportRejection struct {
	ID          int64             `json:"id"`
	ReceivedAt  string            `json:"received_at"`
	RemoteAddr  string            `json:"remote_addr"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	UserAgent   string            `json:"user_agent,omitempty"`
	Size        int64             `json:"size"`
	Status      int               `json:"status"`
	Reason      string            `json:"reason"`
	Hint        string            `json:"hint,omitempty"`
	LikelyCause string            `json:"likely_cause"`
	Signature   string            `json:"signature,omitempty"`
	BodySHA256  string            `json:"body_sha256,omitempty"`
	Headers     map[string]string `json:"headers"`
	BodyPreview string            `json:"body_preview"` // escaped like the view shows it
}

// WriteJSON writes rows as an indented JSON array (empty: []).
func WriteJSON(w io.Writer, rows []webhook.Rejection) error {
	out := make([]exportRejection, 0, len(rows))
	for _, r := range rows {
		_, cause := classify(r)
		h := r.Headers
		if h == nil {
			h = map[string]string{}
		}
		out = append(out, exportRejection{
			ID: r.ID, ReceivedAt: export.Time(r.ReceivedAt), RemoteAddr: r.RemoteAddr, Method: r.Method,
			Path: r.Path, UserAgent: r.UserAgent, Size: r.Size, Status: r.Status, Reason: r.Reason,
			Hint: r.Hint, LikelyCause: cause, Signature: r.Signature, BodySHA256: r.BodySHA256,
			Headers: h, BodyPreview: Preview(r.BodyPreview, r.Size),
		})
	}
	return export.WriteJSON(w, out)
}
