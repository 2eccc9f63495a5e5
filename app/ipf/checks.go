package ipf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Color is an intent check colour as IP Fabric numbers it.
type Color int

// IP Fabric's four intent check colours.
const (
	Green Color = 0
	Blue  Color = 10
	Amber Color = 20
	Red   Color = 30
)

// Colors lists the colours from best to worst.
var Colors = []Color{Green, Blue, Amber, Red}

func (c Color) String() string {
	switch c {
	case Green:
		return "green"
	case Blue:
		return "blue"
	case Amber:
		return "amber"
	case Red:
		return "red"
	}
	return strconv.Itoa(int(c))
}

// ParseColor reads a colour by name (red, amber, yellow, blue, green) or by
// IP Fabric's number (30, 20, 10, 0).
func ParseColor(s string) (Color, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "green", "0":
		return Green, nil
	case "blue", "10":
		return Blue, nil
	case "amber", "yellow", "20":
		return Amber, nil
	case "red", "30":
		return Red, nil
	}
	return 0, fmt.Errorf("%q is not an intent check colour (green, blue, amber, red, or 0, 10, 20, 30)", s)
}

// Check is one intent check (IP Fabric calls it a report) with its colour
// counts in one snapshot; the JSON form is the one `ipfwatch log --json`
// prints.
type Check struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Groups []string `json:"groups"` // names of the groups it belongs to
	Green  int      `json:"green"`
	Blue   int      `json:"blue"`
	Amber  int      `json:"amber"`
	Red    int      `json:"red"`
	URL    string   `json:"url"` // its rows of the worst colour present in the web UI

	// APIEndpoint is the table behind the check without any /v1/ prefix,
	// e.g. /tables/neighbors/unidirectional.
	APIEndpoint string `json:"-"`
	// WebEndpoint is the same table's page in the web UI.
	WebEndpoint string `json:"-"`
	// Column is the table column the check colours.
	Column string `json:"-"`
	// Description is the check's general description.
	Description string `json:"-"`
	// ColorDescriptions says what each colour means for this check.
	ColorDescriptions map[Color]string `json:"-"`
	// Status is IP Fabric's status of the result; -1 when not computed.
	Status int `json:"-"`
	// Total is result.count as IP Fabric gives it.
	Total int `json:"-"`
}

// Count is the number of rows of colour c.
func (k Check) Count(c Color) int {
	switch c {
	case Green:
		return k.Green
	case Blue:
		return k.Blue
	case Amber:
		return k.Amber
	case Red:
		return k.Red
	}
	return 0
}

// Worst is the worst colour with rows, and false when the check has none
// but green (or none at all).
func (k Check) Worst() (Color, bool) {
	for _, c := range []Color{Red, Amber, Blue} {
		if k.Count(c) > 0 {
			return c, true
		}
	}
	return Green, false
}

// Checks reads the intent checks of a snapshot with their colour counts
// (GET /api/{v}/reports?snapshot=<id>); "" means $last. Items that are not
// objects or have no id are skipped.
func (c *Client) Checks(ctx context.Context, snapshotID string) ([]Check, error) {
	if snapshotID == "" {
		snapshotID = "$last"
	}
	resp, err := c.api(ctx, http.MethodGet, "/reports", url.Values{"snapshot": {snapshotID}}, nil)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusNotFound {
		return nil, &NotFoundError{What: "snapshot", ID: snapshotID}
	}
	if err := c.statusErr(resp); err != nil {
		return nil, err
	}
	v, err := c.decode(resp)
	if err != nil {
		return nil, err
	}
	if v != nil && list(v) == nil {
		return nil, c.badShape(resp, fmt.Sprintf("expected a list of intent checks, got a %s", jsonKind(v)))
	}
	checks := []Check{}
	for _, item := range list(v) {
		m := obj(item)
		if m == nil {
			continue
		}
		k := parseCheck(m, c.BaseURL())
		if k.ID == "" {
			continue
		}
		checks = append(checks, k)
	}
	return checks, nil
}

// CheckByID reads one intent check of a snapshot, for webhooks that name a
// reportId. The API has no per-report call in the documented subset, so it
// reads the snapshot's list and picks the check; snapshotID "" means $last,
// as an intent webhook with only a reportId is about the latest snapshot.
func (c *Client) CheckByID(ctx context.Context, snapshotID, reportID string) (Check, error) {
	checks, err := c.Checks(ctx, snapshotID)
	if err != nil {
		return Check{}, err
	}
	for _, k := range checks {
		if k.ID == reportID {
			return k, nil
		}
	}
	return Check{}, &NotFoundError{What: "intent check", ID: reportID}
}

// parseCheck reads one /reports item.
func parseCheck(m map[string]any, base string) Check {
	k := Check{
		ID:          str(m["id"]),
		Name:        str(m["name"]),
		Groups:      []string{},
		APIEndpoint: StripVersionPrefix(str(m["apiEndpoint"])),
		WebEndpoint: str(m["webEndpoint"]),
		Column:      str(m["column"]),
		Status:      int(num64(m["status"])),
	}
	for _, g := range list(m["groups"]) {
		name := str(g)
		if gm := obj(g); gm != nil {
			name = str(gm["name"])
		}
		if name != "" {
			k.Groups = append(k.Groups, name)
		}
	}
	if d := obj(m["descriptions"]); d != nil {
		k.Description = str(d["general"])
		for key, text := range obj(d["checks"]) {
			if col, err := ParseColor(key); err == nil && str(text) != "" {
				if k.ColorDescriptions == nil {
					k.ColorDescriptions = map[Color]string{}
				}
				k.ColorDescriptions[col] = str(text)
			}
		}
	}
	result := obj(m["result"])
	counts := obj(result["checks"])
	k.Green = count(counts["0"])
	k.Blue = count(counts["10"])
	k.Amber = count(counts["20"])
	k.Red = count(counts["30"])
	k.Total = count(result["count"])
	if worst, ok := k.Worst(); ok {
		k.URL = CheckURL(base, k, worst)
	} else {
		k.URL = webURL(base, k.WebEndpoint)
	}
	return k
}

// versionPrefixRE matches a leading /v1, /v7.0 or /api/v7.0 segment.
var versionPrefixRE = regexp.MustCompile(`^(/api)?/v\d+(\.\d+)?(/|$)`)

// StripVersionPrefix removes a leading /v1/ (any /v…/ or /api/v…/) from an
// apiEndpoint: the docs show /v1/tables/..., newer exports plain /tables/...,
// and the client puts its own /api/{v} in front.
func StripVersionPrefix(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if loc := versionPrefixRE.FindStringIndex(p); loc != nil {
		p = "/" + p[loc[1]:]
	}
	return p
}

// Row is one table row flattened for display: the device, its site and the
// value of the check's column.
type Row struct {
	Hostname string `json:"hostname"`
	Site     string `json:"site"`
	Value    string `json:"value"`
	// Severity is the colour IP Fabric gave the check's cell, -1 when the
	// cell carried none.
	Severity Color `json:"severity"`
}

// Rows is one page of the rows behind a colour of an intent check.
type Rows struct {
	Total   int              `json:"total"`   // rows of that colour in IP Fabric (_meta.count)
	Columns []string         `json:"columns"` // columns asked for
	Raw     []map[string]any `json:"raw"`     // rows as IP Fabric gave them, JSON-ready
	Flat    []Row            `json:"flat"`    // the same rows flattened
}

// MaxRows is the most rows CheckRows asks for in one call.
const MaxRows = 1000

// CheckRows reads up to limit rows (1..1000; 0 means 100) of a snapshot's
// table behind check that have colour color, POSTing the check's filter to
// /api/{v}<apiEndpoint> as the web UI does. snapshotID "" means $last.
//
// The columns asked for are id, hostname, siteName and the check's column.
// Not every table has hostname or siteName (neighbour tables have
// localHost), and IP Fabric answers an unknown column with 422, so on a 422
// it retries with siteName and the check's column, then with the check's
// column alone; a 422 on that is a *ColumnError with IP Fabric's message.
func (c *Client) CheckRows(ctx context.Context, snapshotID string, check Check, color Color, limit int) (Rows, error) {
	if check.APIEndpoint == "" || check.Column == "" {
		return Rows{}, fmt.Errorf("intent check %q has no table or column to read rows from", check.Name)
	}
	if snapshotID == "" {
		snapshotID = "$last"
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > MaxRows:
		limit = MaxRows
	}
	table := StripVersionPrefix(check.APIEndpoint)
	if strings.Contains(table, "..") || strings.ContainsAny(table, "?#") {
		return Rows{}, fmt.Errorf("intent check %q names the table %q, which is not a table path", check.Name, table)
	}
	col := check.Column
	attempts := [][]string{
		dedupe("id", "hostname", "siteName", col),
		dedupe("siteName", col),
		{col},
	}
	var lastMsg string
	var tried []string
	for i, cols := range attempts {
		if i > 0 && strings.Join(cols, ",") == strings.Join(attempts[i-1], ",") {
			continue
		}
		body := map[string]any{
			"columns":    cols,
			"snapshot":   snapshotID,
			"filters":    map[string]any{col: []any{"color", "eq", int(color)}},
			"pagination": map[string]any{"limit": limit, "start": 0},
		}
		if check.WebEndpoint != "" {
			body["reports"] = check.WebEndpoint
		}
		resp, err := c.api(ctx, http.MethodPost, table, nil, body)
		if err != nil {
			return Rows{}, err
		}
		if resp.status == http.StatusUnprocessableEntity {
			_, lastMsg = c.errorMessage(resp)
			tried = cols
			continue
		}
		if resp.status == http.StatusNotFound {
			return Rows{}, &NotFoundError{What: "table", ID: table}
		}
		if err := c.statusErr(resp); err != nil {
			return Rows{}, err
		}
		rows, total, err := c.tablePage(resp)
		if err != nil {
			return Rows{}, err
		}
		return flatten(rows, total, cols, col), nil
	}
	return Rows{}, &ColumnError{Table: table, Columns: tried, Message: lastMsg}
}

func dedupe(cols ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cols {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// flatten turns table rows into Rows; rows that are not objects are dropped.
func flatten(rows []any, total int, cols []string, col string) Rows {
	out := Rows{Total: total, Columns: cols, Raw: []map[string]any{}, Flat: []Row{}}
	for _, r := range rows {
		m := obj(r)
		if m == nil {
			continue
		}
		sev := Color(-1)
		if cell := obj(m[col]); cell != nil {
			if _, ok := cell["severity"]; ok {
				sev = Color(num64(cell["severity"]))
			}
		}
		out.Raw = append(out.Raw, m)
		out.Flat = append(out.Flat, Row{
			Hostname: cellText(m["hostname"]),
			Site:     cellText(m["siteName"]),
			Value:    cellText(m[col]),
			Severity: sev,
		})
	}
	if total < len(out.Raw) {
		out.Total = len(out.Raw)
	}
	return out
}

// cellText shows a table cell as text: a coloured cell {"data":..,
// "severity":..} shows its data, a list its items joined, an object its JSON.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case map[string]any:
		if d, ok := x["data"]; ok {
			return cellText(d)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := cellText(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return str(v)
}

// IsNotFound reports whether err says IP Fabric has no such snapshot,
// intent check or table.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}
