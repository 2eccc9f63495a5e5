package ipf

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// Snapshot is what ipfwatch shows and stores about a snapshot; the JSON form
// is the one `ipfwatch log --json` prints.
type Snapshot struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`     // "" when IP Fabric has none (null)
	Devices int             `json:"devices"`  // totalDevCount
	Sites   []string        `json:"sites"`    // site names
	StartMS int64           `json:"start_ms"` // tsStart, epoch milliseconds
	EndMS   int64           `json:"end_ms"`   // tsEnd, epoch milliseconds; 0 while running
	Errors  []SnapshotError `json:"errors"`   // discovery errors by type
	URL     string          `json:"url"`      // the snapshot in IP Fabric's web UI

	State   string `json:"-"` // loaded, unloaded, discovering...
	Status  string `json:"-"` // as IP Fabric gives it
	Version string `json:"-"` // IP Fabric version that made it
}

// SnapshotError is one kind of discovery error and how often it happened.
type SnapshotError struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// Start is when discovery started.
func (s Snapshot) Start() time.Time { return msTime(s.StartMS) }

// End is when discovery ended; zero while it runs.
func (s Snapshot) End() time.Time { return msTime(s.EndMS) }

// Duration is how long discovery took; zero when either end is unknown.
func (s Snapshot) Duration() time.Duration {
	if s.StartMS <= 0 || s.EndMS < s.StartMS {
		return 0
	}
	return time.Duration(s.EndMS-s.StartMS) * time.Millisecond
}

func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Snapshot reads one snapshot (GET /api/{v}/snapshots/{id}). id may also be
// $last, $prev or $lastLocked. A snapshot IP Fabric does not know is a
// *NotFoundError.
func (c *Client) Snapshot(ctx context.Context, id string) (Snapshot, error) {
	if id == "" {
		return Snapshot{}, &NotFoundError{What: "snapshot", ID: id}
	}
	resp, err := c.api(ctx, http.MethodGet, "/snapshots/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return Snapshot{}, err
	}
	if resp.status == http.StatusNotFound {
		return Snapshot{}, &NotFoundError{What: "snapshot", ID: id}
	}
	if err := c.statusErr(resp); err != nil {
		return Snapshot{}, err
	}
	v, err := c.decode(resp)
	if err != nil {
		return Snapshot{}, err
	}
	m := obj(v)
	if m == nil {
		return Snapshot{}, c.badShape(resp, "expected a JSON object describing the snapshot")
	}
	s := parseSnapshot(m, c.BaseURL())
	if s.ID == "" {
		s.ID = id
		s.URL = SnapshotURL(c.BaseURL(), id)
	}
	return s, nil
}

// parseSnapshot reads the GET /snapshots/{id} shape.
func parseSnapshot(m map[string]any, base string) Snapshot {
	s := Snapshot{
		ID:      str(m["id"]),
		Name:    str(m["name"]),
		Devices: count(m["totalDevCount"]),
		Sites:   siteNames(m["sites"]),
		StartMS: num64(m["tsStart"]),
		EndMS:   num64(m["tsEnd"]),
		Errors:  []SnapshotError{},
		State:   str(m["state"]),
		Status:  str(m["status"]),
		Version: str(m["version"]),
	}
	for _, e := range list(m["errors"]) {
		em := obj(e)
		if em == nil {
			continue
		}
		t := str(em["errorType"])
		if t == "" {
			t = str(em["type"])
		}
		if t == "" {
			continue
		}
		s.Errors = append(s.Errors, SnapshotError{Type: t, Count: count(em["count"])})
	}
	s.URL = SnapshotURL(base, s.ID)
	return s
}

// siteNames reads sites given as objects ({"siteName":...}, the snapshot
// shape) or as plain names (the table shape).
func siteNames(v any) []string {
	names := []string{}
	for _, e := range list(v) {
		name := str(e)
		if m := obj(e); m != nil {
			name = str(m["siteName"])
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}

// SnapshotRow is one finished snapshot found by FinishedSnapshots.
type SnapshotRow struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Status       string   `json:"status"`        // done, unloaded, ...
	FinishStatus string   `json:"finish_status"` // done
	StartMS      int64    `json:"start_ms"`
	EndMS        int64    `json:"end_ms"`
	Devices      int      `json:"devices"`
	Sites        []string `json:"sites"`
	URL          string   `json:"url"`
}

// Loaded reports whether the snapshot is loaded (status and finishStatus
// both done), so its data and intent checks can be read.
func (r SnapshotRow) Loaded() bool { return r.Status == "done" && r.FinishStatus == "done" }

// End is when discovery ended.
func (r SnapshotRow) End() time.Time { return msTime(r.EndMS) }

var snapshotColumns = []string{"id", "name", "status", "finishStatus", "tsStart", "tsEnd", "totalDevCount", "sites"}

// finishedSnapshotsPages bounds the catch-up walk (1000 rows a page).
const finishedSnapshotsPages = 50

// FinishedSnapshots lists the snapshots whose discovery finished
// (finishStatus done, loaded or not) at or after since, oldest first, for
// catching up on webhooks missed while ipfwatch was not running.
//
// It asks POST /api/{v}/tables/management/snapshots sorted by tsEnd
// descending and filtered on finishStatus done (the filter syntax the SDK
// uses), 1000 rows a page, and stops at the first row older than since. The
// documented filters have no range operator, so the time bound is applied
// here; the finishStatus filter is applied here too, and dropped from the
// request if IP Fabric refuses it (422).
func (c *Client) FinishedSnapshots(ctx context.Context, since time.Time) ([]SnapshotRow, error) {
	sinceMS := since.UnixMilli()
	if since.IsZero() {
		sinceMS = 0
	}
	filters := map[string]any{"finishStatus": []any{"eq", "done"}}
	var out []SnapshotRow
	const limit = 1000
	start := 0
	for page := 0; page < finishedSnapshotsPages; page++ {
		body := map[string]any{
			"columns":    snapshotColumns,
			"sort":       map[string]any{"order": "desc", "column": "tsEnd"},
			"pagination": map[string]any{"limit": limit, "start": start},
		}
		if filters != nil {
			body["filters"] = filters
		}
		resp, err := c.api(ctx, http.MethodPost, "/tables/management/snapshots", nil, body)
		if err != nil {
			return nil, err
		}
		if resp.status == http.StatusUnprocessableEntity && filters != nil {
			filters = nil
			page--
			continue
		}
		if err := c.statusErr(resp); err != nil {
			return nil, err
		}
		rows, total, err := c.tablePage(resp)
		if err != nil {
			return nil, err
		}
		older := false
		for _, r := range rows {
			m := obj(r)
			if m == nil {
				continue
			}
			// The fields both shapes share are read once, by parseSnapshot.
			snap := parseSnapshot(m, "")
			row := SnapshotRow{ID: snap.ID, Name: snap.Name, Status: snap.Status, FinishStatus: str(m["finishStatus"]),
				StartMS: snap.StartMS, EndMS: snap.EndMS, Devices: snap.Devices, Sites: snap.Sites}
			if row.EndMS > 0 && row.EndMS < sinceMS {
				older = true
			}
			if row.ID == "" || row.FinishStatus != "done" || row.EndMS <= 0 || row.EndMS < sinceMS {
				continue
			}
			row.URL = SnapshotURL(c.BaseURL(), row.ID)
			out = append(out, row)
		}
		start += len(rows)
		if older || len(rows) < limit || (total > 0 && start >= total) {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EndMS < out[j].EndMS })
	return dedupeRows(out), nil
}

func dedupeRows(rows []SnapshotRow) []SnapshotRow {
	seen := map[string]bool{}
	out := rows[:0]
	for _, r := range rows {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	if out == nil {
		return []SnapshotRow{}
	}
	return out
}

// tablePage reads a table answer, {"data":[rows],"_meta":{"count":N}}.
func (c *Client) tablePage(resp *response) (rows []any, total int, err error) {
	v, err := c.decode(resp)
	if err != nil {
		return nil, 0, err
	}
	m := obj(v)
	if m == nil {
		return nil, 0, c.badShape(resp, "expected a JSON object with data and _meta")
	}
	d, ok := m["data"]
	if !ok {
		return nil, 0, c.badShape(resp, "it has no data list")
	}
	if d != nil && list(d) == nil {
		return nil, 0, c.badShape(resp, fmt.Sprintf("data is a %s, not a list", jsonKind(d)))
	}
	return list(d), count(obj(m["_meta"])["count"]), nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "JSON object"
	case []any:
		return "list"
	case string:
		return "string"
	case nil:
		return "null"
	case bool:
		return "boolean"
	}
	return "number"
}
