package ipffake

import (
	"sort"
	"strconv"
)

// Snapshot is a snapshot the fake knows; it is served by GET /snapshots,
// GET /snapshots/{id} and the management table.
type Snapshot struct {
	ID               string
	Name             string
	NullName         bool // serve "name": null
	Note             string
	State            string // loaded (default), unloaded, discovering
	Status           string // done (default), unloaded, ready, run, finishing, error
	FinishStatus     string // done (default), error, ""
	Locked           bool
	TotalDevCount    int
	LicensedDevCount int
	TsStart, TsEnd   int64 // epoch ms; TsEnd 0 serves null
	Version          string
	Sites            []string
	Errors           []SnapshotError
	CreatorUsername  string
}

// SnapshotError is one kind of discovery error.
type SnapshotError struct {
	Type  string
	Count int
}

func (s Snapshot) withDefaults() Snapshot {
	if s.State == "" {
		s.State = "loaded"
	}
	if s.Status == "" {
		s.Status = "done"
	}
	if s.FinishStatus == "" && s.Status == "done" {
		s.FinishStatus = "done"
	}
	if s.Version == "" {
		s.Version = "7.0.15+2"
	}
	return s
}

func (s Snapshot) loaded() bool { return s.Status == "done" && s.FinishStatus == "done" }

// detailJSON is the GET /snapshots/{id} shape (docs, snapshot_models.py).
func (s Snapshot) detailJSON(stringCounts bool) map[string]any {
	sites := make([]any, 0, len(s.Sites))
	for i, name := range s.Sites {
		sites = append(sites, map[string]any{"siteName": name, "uid": name, "id": strconv.Itoa(2342875 + i)})
	}
	errs := make([]any, 0, len(s.Errors))
	for _, e := range s.Errors {
		errs = append(errs, map[string]any{"errorType": e.Type, "count": e.Count})
	}
	return map[string]any{
		"id":               s.ID,
		"name":             s.nameJSON(),
		"note":             s.Note,
		"state":            s.State,
		"status":           s.Status,
		"locked":           s.Locked,
		"totalDevCount":    maybeString(s.TotalDevCount, stringCounts),
		"licensedDevCount": maybeString(s.LicensedDevCount, stringCounts),
		"tsStart":          s.TsStart,
		"tsEnd":            nullableMS(s.TsEnd),
		"version":          s.Version,
		"initialVersion":   s.Version,
		"sites":            sites,
		"errors":           errs,
	}
}

// rowJSON is the management table row shape; all columns, projected later.
func (s Snapshot) rowJSON(isLast bool, stringCounts bool) map[string]any {
	sites := make([]any, 0, len(s.Sites))
	for _, name := range s.Sites {
		sites = append(sites, name)
	}
	return map[string]any{
		"id":                 s.ID,
		"status":             s.Status,
		"finishStatus":       s.FinishStatus,
		"loading":            false,
		"locked":             s.Locked,
		"fromArchive":        false,
		"isLastSnapshot":     isLast,
		"name":               s.nameJSON(),
		"note":               s.Note,
		"sites":              sites,
		"totalDevCount":      maybeString(s.TotalDevCount, stringCounts),
		"deviceAddedCount":   0,
		"deviceRemovedCount": 0,
		"tsStart":            s.TsStart,
		"tsEnd":              nullableMS(s.TsEnd),
		"tsChange":           nullableMS(s.TsEnd),
		"creatorUsername":    s.CreatorUsername,
	}
}

// snapshotTableColumns are the columns tables/management/snapshots accepts.
var snapshotTableColumns = []string{"id", "status", "finishStatus", "loading", "locked", "fromArchive", "isLastSnapshot",
	"name", "note", "sites", "totalDevCount", "deviceAddedCount", "deviceRemovedCount", "tsStart", "tsEnd", "tsChange", "creatorUsername"}

func (s Snapshot) nameJSON() any {
	if s.NullName {
		return nil
	}
	return s.Name
}

func nullableMS(ms int64) any {
	if ms == 0 {
		return nil
	}
	return ms
}

func maybeString(n int, asString bool) any {
	if asString {
		return strconv.Itoa(n)
	}
	return n
}

// Report is an intent check with its result in one snapshot, served by
// GET /reports?snapshot=.
type Report struct {
	ID           string
	Name         string
	NullName     bool
	Groups       []Group
	APIEndpoint  string // the table, without prefix: /tables/neighbors/unidirectional
	WebEndpoint  string // /technology/cdp-lldp/unidirectional-neighbors
	Column       string
	Custom       bool
	DefaultColor int
	General      string         // descriptions.general
	Descriptions map[int]string // descriptions.checks by colour
	// Counts are the rows per colour (0, 10, 20, 30); a colour with no
	// entry, or 0, has no key in result.checks, as in IP Fabric.
	Counts map[int]int
	// Count is result.count; 0 means the sum of Counts.
	Count int
	// EmptyResult serves "result": {} and "status": -1 (not computed).
	EmptyResult bool
}

// Group is an intent check group.
type Group struct {
	ID     string
	Name   string
	Custom bool
}

func (r Report) json(prefix string, stringCounts bool) map[string]any {
	groups := make([]any, 0, len(r.Groups))
	for _, g := range r.Groups {
		groups = append(groups, map[string]any{"id": g.ID, "custom": g.Custom, "name": g.Name})
	}
	descs := map[string]any{"0": "", "10": "", "20": "", "30": ""}
	for c, d := range r.Descriptions {
		descs[strconv.Itoa(c)] = d
	}
	var name any = r.Name
	if r.NullName {
		name = nil
	}
	out := map[string]any{
		"id":           r.ID,
		"name":         name,
		"groups":       groups,
		"apiEndpoint":  prefix + r.APIEndpoint,
		"webEndpoint":  r.WebEndpoint,
		"column":       r.Column,
		"custom":       r.Custom,
		"defaultColor": r.DefaultColor,
		"checks":       map[string]any{},
		"descriptions": map[string]any{"general": r.General, "checks": descs},
	}
	if r.EmptyResult {
		out["status"] = -1
		out["result"] = map[string]any{}
		return out
	}
	checks := map[string]any{}
	total := 0
	keys := make([]int, 0, len(r.Counts))
	for c := range r.Counts {
		keys = append(keys, c)
	}
	sort.Ints(keys)
	for _, c := range keys {
		if n := r.Counts[c]; n > 0 {
			checks[strconv.Itoa(c)] = maybeString(n, stringCounts)
			total += n
		}
	}
	if r.Count > 0 {
		total = r.Count
	}
	out["status"] = 1
	out["result"] = map[string]any{"checks": checks, "count": maybeString(total, stringCounts)}
	return out
}

// Table is a technology table behind intent checks, served by POST
// /api/{v}<endpoint>. Coloured cells are given as Cell(data, severity).
type Table struct {
	// Columns the table accepts; a request naming another answers 422.
	// Empty means the keys of the rows.
	Columns []string
	Rows    []map[string]any
}

// Cell is a coloured cell as IP Fabric nests it: {"data":..,"severity":..}.
func Cell(data any, severity int) map[string]any {
	return map[string]any{"data": data, "severity": severity}
}

func (t *Table) columns() map[string]bool {
	cols := map[string]bool{}
	for _, c := range t.Columns {
		cols[c] = true
	}
	if len(t.Columns) == 0 {
		for _, r := range t.Rows {
			for k := range r {
				cols[k] = true
			}
		}
	}
	return cols
}
