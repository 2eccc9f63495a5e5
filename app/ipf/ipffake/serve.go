package ipffake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// sortedSnapshots returns the snapshots newest (by tsEnd) first.
func (s *Server) sortedSnapshots() []Snapshot {
	s.mu.Lock()
	snaps := append([]Snapshot(nil), s.snapshots...)
	s.mu.Unlock()
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].TsEnd > snaps[j].TsEnd })
	return snaps
}

// resolve finds a snapshot by id or by $last, $prev, $lastLocked (among
// loaded snapshots, as IP Fabric and the SDK resolve them).
func (s *Server) resolve(ref string) (Snapshot, bool) {
	snaps := s.sortedSnapshots()
	loadedSeen := 0
	for _, sn := range snaps {
		switch ref {
		case sn.ID:
			return sn, true
		case "$last", "$prev":
			if sn.loaded() {
				loadedSeen++
				if (ref == "$last" && loadedSeen == 1) || (ref == "$prev" && loadedSeen == 2) {
					return sn, true
				}
			}
		case "$lastLocked":
			if sn.loaded() && sn.Locked {
				return sn, true
			}
		}
	}
	return Snapshot{}, false
}

func (s *Server) serveSnapshots(w http.ResponseWriter, k Knobs) {
	out := []any{}
	for _, sn := range s.sortedSnapshots() {
		out = append(out, sn.detailJSON(k.StringCounts))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveSnapshot(w http.ResponseWriter, ref string, k Knobs) {
	sn, ok := s.resolve(ref)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Snapshot not found."})
		return
	}
	writeJSON(w, http.StatusOK, sn.detailJSON(k.StringCounts))
}

// tableQuery is the body every table POST takes.
type tableQuery struct {
	Columns    []string        `json:"columns"`
	Snapshot   string          `json:"snapshot"`
	Filters    json.RawMessage `json:"filters"`
	Reports    string          `json:"reports"`
	Pagination *struct {
		Limit int `json:"limit"`
		Start int `json:"start"`
	} `json:"pagination"`
	Sort *struct {
		Order  string `json:"order"`
		Column string `json:"column"`
	} `json:"sort"`
}

// query runs a table query over rows whose columns are known: it validates,
// filters, sorts, pages and projects, answering 422 as IP Fabric does for
// anything it does not accept.
func query(w http.ResponseWriter, body []byte, rows []map[string]any, known map[string]bool) {
	var q tableQuery
	if err := json.Unmarshal(body, &q); err != nil {
		write422(w, "request body is not valid JSON: "+err.Error())
		return
	}
	if len(q.Columns) == 0 {
		write422(w, `"columns" is required`)
		return
	}
	for i, c := range q.Columns {
		if !known[c] {
			write422(w, fmt.Sprintf(`"columns[%d]" must be one of [%s]`, i, strings.Join(sortedKeys(known), ", ")))
			return
		}
	}
	var filter any
	if len(q.Filters) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(q.Filters)))
		dec.UseNumber()
		if err := dec.Decode(&filter); err != nil {
			write422(w, `"filters" is not valid JSON`)
			return
		}
	}
	var kept []map[string]any
	for _, r := range rows {
		ok, err := match(filter, r, known)
		if err != nil {
			write422(w, err.Error())
			return
		}
		if ok {
			kept = append(kept, r)
		}
	}
	if q.Sort != nil && q.Sort.Column != "" {
		if !known[q.Sort.Column] {
			write422(w, fmt.Sprintf(`"sort.column" must be one of [%s]`, strings.Join(sortedKeys(known), ", ")))
			return
		}
		desc := q.Sort.Order == "desc"
		col := q.Sort.Column
		sort.SliceStable(kept, func(i, j int) bool {
			a, b := sortKey(kept[i][col]), sortKey(kept[j][col])
			if desc {
				return a > b
			}
			return a < b
		})
	}
	start, limit := 0, len(kept)
	if q.Pagination != nil {
		start, limit = q.Pagination.Start, q.Pagination.Limit
		if start < 0 || limit <= 0 {
			write422(w, `"pagination" needs limit > 0 and start >= 0`)
			return
		}
	}
	page := []any{}
	for i := start; i < len(kept) && i < start+limit; i++ {
		row := map[string]any{}
		for _, c := range q.Columns {
			row[c] = kept[i][c]
		}
		page = append(page, row)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data":  page,
		"_meta": map[string]any{"limit": limit, "start": start, "count": len(kept), "size": len(page)},
	})
}

// match evaluates an IP Fabric table filter: {"and":[...]}, {"or":[...]},
// {"<column>":["eq"|"neq"|"like", value]} or {"<column>":["color","eq"|"neq", n]}.
func match(f any, row map[string]any, known map[string]bool) (bool, error) {
	if f == nil {
		return true, nil
	}
	m, ok := f.(map[string]any)
	if !ok {
		return false, fmt.Errorf(`"filters" must be an object`)
	}
	for key, cond := range m {
		switch key {
		case "and", "or":
			subs, ok := cond.([]any)
			if !ok {
				return false, fmt.Errorf(`"filters.%s" must be a list`, key)
			}
			anyOK := false
			for _, sub := range subs {
				ok, err := match(sub, row, known)
				if err != nil {
					return false, err
				}
				if key == "and" && !ok {
					return false, nil
				}
				anyOK = anyOK || ok
			}
			if key == "or" && !anyOK && len(subs) > 0 {
				return false, nil
			}
			continue
		}
		if !known[key] {
			return false, fmt.Errorf(`"filters.%s" is not a column`, key)
		}
		args, ok := cond.([]any)
		if !ok || len(args) < 2 {
			return false, fmt.Errorf(`"filters.%s" must be [operator, value]`, key)
		}
		ok, err := test(args, row[key])
		if err != nil {
			return false, fmt.Errorf(`"filters.%s": %v`, key, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func test(args []any, cell any) (bool, error) {
	op, _ := args[0].(string)
	if op == "color" {
		if len(args) != 3 {
			return false, fmt.Errorf(`a colour filter is ["color", "eq", n]`)
		}
		want, ok := number(args[2])
		if !ok {
			return false, fmt.Errorf("colour %v is not a number", args[2])
		}
		c, _ := cell.(map[string]any)
		got, has := number(c["severity"])
		switch args[1] {
		case "eq":
			return has && got == want, nil
		case "neq":
			return !has || got != want, nil
		}
		return false, fmt.Errorf("unknown colour operator %v", args[1])
	}
	text := cellString(cell)
	want := cellString(args[1])
	switch op {
	case "eq":
		return text == want, nil
	case "neq":
		return text != want, nil
	case "like":
		return strings.Contains(strings.ToLower(text), strings.ToLower(want)), nil
	}
	return false, fmt.Errorf("unknown operator %v", args[0])
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func cellString(v any) string {
	if m, ok := v.(map[string]any); ok {
		v = m["data"]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func sortKey(v any) float64 {
	f, _ := number(v)
	return f
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) serveSnapshotTable(w http.ResponseWriter, body []byte, k Knobs) {
	snaps := s.sortedSnapshots()
	rows := make([]map[string]any, 0, len(snaps))
	lastID := ""
	if last, ok := s.resolve("$last"); ok {
		lastID = last.ID
	}
	for _, sn := range snaps {
		rows = append(rows, sn.rowJSON(sn.ID == lastID, k.StringCounts))
	}
	known := map[string]bool{}
	for _, c := range snapshotTableColumns {
		known[c] = true
	}
	query(w, body, rows, known)
}

func (s *Server) serveReports(w http.ResponseWriter, ref string, k Knobs) {
	if ref == "" {
		write422(w, `"snapshot" is required`)
		return
	}
	sn, ok := s.resolve(ref)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Snapshot not found."})
		return
	}
	s.mu.Lock()
	reports := append([]Report(nil), s.reports[sn.ID]...)
	s.mu.Unlock()
	out := []any{}
	for _, r := range reports {
		out = append(out, r.json(k.EndpointPrefix, k.StringCounts))
	}
	writeJSON(w, http.StatusOK, out)
}

// serveGroups lists the groups of every report the fake knows, each with
// its reports as children.
func (s *Server) serveGroups(w http.ResponseWriter) {
	s.mu.Lock()
	type group struct {
		g        Group
		children []string
	}
	byID := map[string]*group{}
	var order []string
	for _, reports := range s.reports {
		for _, r := range reports {
			for _, g := range r.Groups {
				gr := byID[g.ID]
				if gr == nil {
					gr = &group{g: g}
					byID[g.ID] = gr
					order = append(order, g.ID)
				}
				if !contains(gr.children, r.ID) {
					gr.children = append(gr.children, r.ID)
				}
			}
		}
	}
	s.mu.Unlock()
	sort.Strings(order)
	out := []any{}
	for _, id := range order {
		gr := byID[id]
		children := []any{}
		for _, c := range gr.children {
			children = append(children, map[string]any{"id": c, "weight": 1})
		}
		out = append(out, map[string]any{"id": gr.g.ID, "name": gr.g.Name, "custom": gr.g.Custom, "children": children})
	}
	writeJSON(w, http.StatusOK, out)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// serveTable answers POST /api/{v}<endpoint> for a technology table.
func (s *Server) serveTable(w http.ResponseWriter, endpoint string, body []byte) {
	s.mu.Lock()
	t := s.tables[endpoint]
	s.mu.Unlock()
	if t == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not found"})
		return
	}
	var q struct {
		Snapshot string `json:"snapshot"`
	}
	_ = json.Unmarshal(body, &q)
	if q.Snapshot == "" {
		write422(w, `"snapshot" is required`)
		return
	}
	if _, ok := s.resolve(q.Snapshot); !ok {
		write422(w, fmt.Sprintf(`"snapshot" %q does not exist`, q.Snapshot))
		return
	}
	query(w, body, t.Rows, t.columns())
}
