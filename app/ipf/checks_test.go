package ipf

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

func TestChecks(t *testing.T) {
	for _, v := range []struct {
		stringCounts bool
		prefix       string
	}{{false, "/v1"}, {true, "/v1"}, {false, ""}, {true, "/v7.0"}, {false, "/api/v7.0"}} {
		t.Run(fmt.Sprintf("strings=%v,prefix=%q", v.stringCounts, v.prefix), func(t *testing.T) {
			f := startFake(t, ipffake.Options{})
			f.SetKnobs(func(k *ipffake.Knobs) { k.StringCounts, k.EndpointPrefix = v.stringCounts, v.prefix })
			c := clientFor(t, f, Options{})
			checks, err := c.Checks(ctx(t), snapID)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 {
				t.Fatalf("%d checks, want 2", len(checks))
			}
			want := Check{
				ID: "1001", Name: "Interface errors", Groups: []string{"Interfaces", "Health"},
				Green: 5, Amber: 2, Red: 3,
				URL:         f.URL + "/technology/interfaces/error-rates/connected?options=" + url.QueryEscape(`{"f":{"errPktsPct":["color","eq","30"]}}`),
				APIEndpoint: ifTable, WebEndpoint: "/technology/interfaces/error-rates/connected", Column: "errPktsPct",
				Description:       "Interfaces with errors.",
				ColorDescriptions: map[Color]string{Red: "More than 1% errors.", Amber: "Some errors."},
				Status:            1, Total: 10,
			}
			if !reflect.DeepEqual(checks[0], want) {
				t.Fatalf("check =\n%+v\nwant\n%+v", checks[0], want)
			}
			nbr := checks[1]
			if nbr.APIEndpoint != nbrTable || nbr.Blue != 21 || nbr.Amber != 10 || nbr.Red != 0 || nbr.Green != 0 || nbr.Total != 21 {
				t.Fatalf("neighbour check = %+v", nbr)
			}
			if !strings.Contains(nbr.URL, url.QueryEscape(`["color","eq","20"]`)) {
				t.Errorf("a check with amber as worst links to its amber rows: %s", nbr.URL)
			}
			reqs := f.Requests()
			if q := reqs[len(reqs)-1].Query; q != "snapshot="+snapID {
				t.Errorf("query = %q", q)
			}
		})
	}
}

func TestChecksEmptyResultAndNulls(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	f.SetReports(snapID,
		ipffake.Report{ID: "1", Name: "Not computed", EmptyResult: true, APIEndpoint: ifTable, WebEndpoint: "/w", Column: "c"},
		ipffake.Report{ID: "2", NullName: true, APIEndpoint: ifTable, WebEndpoint: "/w", Column: "c", Counts: map[int]int{0: 4}},
	)
	c := clientFor(t, f, Options{})
	checks, err := c.Checks(ctx(t), snapID)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 {
		t.Fatalf("%d checks", len(checks))
	}
	if k := checks[0]; k.Status != -1 || k.Green+k.Blue+k.Amber+k.Red != 0 || k.URL != f.URL+"/w" {
		t.Errorf("empty result = %+v", k)
	}
	if k := checks[1]; k.Name != "" || k.Green != 4 || k.Groups == nil {
		t.Errorf("null name = %+v", k)
	}
	if _, ok := checks[1].Worst(); ok {
		t.Errorf("an all-green check has no worst colour")
	}
}

func TestCheckByID(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	k, err := c.CheckByID(ctx(t), "", "320633253")
	if err != nil || k.Name != "CDP/LLDP unidirectional" {
		t.Fatalf("CheckByID = %+v, %v", k, err)
	}
	reqs := f.Requests()
	if q := reqs[len(reqs)-1].Query; q != "snapshot=%24last" {
		t.Errorf("a reportId-only lookup asks %q, want snapshot=$last", q)
	}
	_, err = c.CheckByID(ctx(t), snapID, "999")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.What != "intent check" || nf.ID != "999" {
		t.Fatalf("error = %v, want NotFound intent check 999", err)
	}
}

func TestCheckRows(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	checks, err := c.Checks(ctx(t), snapID)
	if err != nil {
		t.Fatal(err)
	}
	ifc := checks[0]
	f.ResetRequests()
	rows, err := c.CheckRows(ctx(t), snapID, ifc, Red, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Total != 3 || len(rows.Flat) != 2 || len(rows.Raw) != 2 {
		t.Fatalf("rows = %+v, want 2 of 3 red rows", rows)
	}
	if want := (Row{Hostname: "sw07", Site: "BRANCH", Value: "0.7", Severity: Red}); rows.Flat[0] != want {
		t.Errorf("flat[0] = %+v, want %+v", rows.Flat[0], want)
	}
	if !reflect.DeepEqual(rows.Columns, []string{"id", "hostname", "siteName", "errPktsPct"}) {
		t.Errorf("columns = %v", rows.Columns)
	}
	raw, err := json.Marshal(rows.Raw[0])
	if err != nil || string(raw) != `{"errPktsPct":{"data":0.7,"severity":30},"hostname":"sw07","id":"r7","siteName":"BRANCH"}` {
		t.Errorf("raw row = %s, %v", raw, err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/api/v7.0"+ifTable || reqs[0].Method != "POST" {
		t.Fatalf("requests = %+v", reqs)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	wantBody := map[string]any{
		"columns":    []any{"id", "hostname", "siteName", "errPktsPct"},
		"snapshot":   snapID,
		"filters":    map[string]any{"errPktsPct": []any{"color", "eq", float64(30)}},
		"reports":    "/technology/interfaces/error-rates/connected",
		"pagination": map[string]any{"limit": float64(2), "start": float64(0)},
	}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("body = %v\nwant   %v", body, wantBody)
	}

	amber, err := c.CheckRows(ctx(t), snapID, ifc, Amber, 0)
	if err != nil || amber.Total != 2 || amber.Flat[0].Severity != Amber {
		t.Fatalf("amber rows = %+v, %v", amber, err)
	}
	green, err := c.CheckRows(ctx(t), snapID, ifc, Green, 5000)
	if err != nil || green.Total != 5 {
		t.Fatalf("green rows = %+v, %v", green, err)
	}
	last := f.Requests()[len(f.Requests())-1]
	if !strings.Contains(string(last.Body), `"limit":1000`) {
		t.Errorf("a limit over 1000 must be capped: %s", last.Body)
	}
}

// TestCheckRowsColumnFallback: the neighbour table has no hostname column,
// so the first try answers 422 and the second, without it, works.
func TestCheckRowsColumnFallback(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	nbr, err := c.CheckByID(ctx(t), snapID, "320633253")
	if err != nil {
		t.Fatal(err)
	}
	f.ResetRequests()
	rows, err := c.CheckRows(ctx(t), snapID, nbr, Blue, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows.Columns, []string{"siteName", "localHost"}) || len(rows.Flat) != 1 {
		t.Fatalf("rows = %+v", rows)
	}
	if want := (Row{Site: "HQ", Value: "core1", Severity: Blue}); rows.Flat[0] != want {
		t.Errorf("flat = %+v, want %+v", rows.Flat[0], want)
	}
	if n := f.Count(ipffake.RouteTable); n != 2 {
		t.Errorf("%d table requests, want 2 (422, then the fallback)", n)
	}

	// A column the table does not have at all: every try is refused.
	bad := nbr
	bad.Column = "noSuchColumn"
	f.ResetRequests()
	_, err = c.CheckRows(ctx(t), snapID, bad, Red, 10)
	var ce *ColumnError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Columns, []string{"noSuchColumn"}) || !strings.Contains(ce.Message, "must be one of") {
		t.Fatalf("error = %v, want a ColumnError with IP Fabric's message", err)
	}
	mustSay(t, err, nbrTable, "noSuchColumn", "HTTP 422")
	if n := f.Count(ipffake.RouteTable); n != 3 {
		t.Errorf("%d table requests, want 3", n)
	}
}

func TestCheckRowsRefusesUnusableChecks(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	for _, k := range []Check{
		{Name: "no table", Column: "x"},
		{Name: "no column", APIEndpoint: ifTable},
		{Name: "escape", APIEndpoint: "/tables/../../users/me", Column: "x"},
		{Name: "query", APIEndpoint: "/tables/x?y=1", Column: "x"},
	} {
		if _, err := c.CheckRows(ctx(t), snapID, k, Red, 10); err == nil {
			t.Errorf("%s: no error", k.Name)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Fatalf("unusable checks made %d requests", n)
	}
	_, err := c.CheckRows(ctx(t), snapID, Check{Name: "gone", APIEndpoint: "/tables/gone", Column: "x"}, Red, 10)
	if !IsNotFound(err) {
		t.Fatalf("an unknown table: %v, want NotFound", err)
	}
}

func TestCheckJSONShape(t *testing.T) {
	k := Check{ID: "1", Name: "n", Groups: []string{"g"}, Green: 1, Blue: 2, Amber: 3, Red: 4, URL: "u",
		APIEndpoint: "/t", WebEndpoint: "/w", Column: "c", Description: "d", Status: 1, Total: 10}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"1","name":"n","groups":["g"],"green":1,"blue":2,"amber":3,"red":4,"url":"u"}`
	if string(b) != want {
		t.Fatalf("JSON = %s\nwant   %s", b, want)
	}
}

func TestStripVersionPrefix(t *testing.T) {
	cases := map[string]string{
		"/v1/tables/neighbors/unidirectional": "/tables/neighbors/unidirectional",
		"/tables/neighbors/unidirectional":    "/tables/neighbors/unidirectional",
		"tables/neighbors/unidirectional":     "/tables/neighbors/unidirectional",
		"/v7.0/tables/inventory/devices":      "/tables/inventory/devices",
		"/v12/tables/x":                       "/tables/x",
		"/api/v6.3/tables/x":                  "/tables/x",
		" /v1/tables/x ":                      "/tables/x",
		"/version/tables/x":                   "/version/tables/x",
		"/vlan/tables":                        "/vlan/tables",
		"/tables/v1/x":                        "/tables/v1/x",
		"":                                    "",
		"/v1":                                 "/",
		"/v1/v2/tables/x":                     "/v2/tables/x",
		"/v1/tables/interfaces/errors/disconnected": "/tables/interfaces/errors/disconnected",
	}
	for in, want := range cases {
		if got := StripVersionPrefix(in); got != want {
			t.Errorf("StripVersionPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColors(t *testing.T) {
	for _, c := range Colors {
		got, err := ParseColor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseColor(%q) = %v, %v", c.String(), got, err)
		}
		if n, err := ParseColor(fmt.Sprint(int(c))); err != nil || n != c {
			t.Errorf("ParseColor(%d) = %v, %v", int(c), n, err)
		}
	}
	if c, err := ParseColor("Yellow"); err != nil || c != Amber {
		t.Errorf("yellow = %v, %v", c, err)
	}
	if _, err := ParseColor("purple"); err == nil {
		t.Errorf("purple parsed")
	}
}

func TestLinks(t *testing.T) {
	base := "https://ipf.example.com"
	if got := SnapshotURL(base, "d03a89d3-911b-4e2d-868b-8b8103771801"); got != base+"/snapshot-management/d03a89d3-911b-4e2d-868b-8b8103771801" {
		t.Errorf("SnapshotURL = %s", got)
	}
	if got := SnapshotURL(base+"/", "a/b"); got != base+"/snapshot-management/a%2Fb" {
		t.Errorf("SnapshotURL escapes: %s", got)
	}
	k := Check{WebEndpoint: "/technology/cdp-lldp/unidirectional-neighbors", Column: "localHost"}
	want := base + "/technology/cdp-lldp/unidirectional-neighbors?options=%7B%22f%22%3A%7B%22localHost%22%3A%5B%22color%22%2C%22eq%22%2C%2230%22%5D%7D%7D"
	if got := CheckURL(base, k, Red); got != want {
		t.Errorf("CheckURL red =\n%s\nwant\n%s", got, want)
	}
	u, err := url.Parse(CheckURL(base, k, Amber))
	if err != nil || u.Query().Get("options") != `{"f":{"localHost":["color","eq","20"]}}` {
		t.Errorf("CheckURL amber decodes to %q (%v)", u.Query().Get("options"), err)
	}
	for _, bad := range []string{"", "technology/x", "//evil.example/x", "/x?y", "/x#y", "/x y"} {
		if got := CheckURL(base, Check{WebEndpoint: bad, Column: "c"}, Red); got != "" {
			t.Errorf("CheckURL with webEndpoint %q = %s, want none", bad, got)
		}
	}
	if got := CheckURL("", k, Red); got != "" || SnapshotURL("", "x") != "" || SnapshotURL(base, "") != "" {
		t.Errorf("links without a base or id must be empty")
	}
	if got := CheckURL(base, Check{WebEndpoint: "/w"}, Red); got != base+"/w" {
		t.Errorf("a check without column links to its page: %s", got)
	}
}
