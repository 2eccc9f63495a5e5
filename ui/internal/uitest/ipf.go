package uitest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

// The data StartIPF serves: one snapshot, and its intent checks with red
// and amber rows first, then ones all green.
const (
	// IPFSnapshot is the snapshot the fake knows (the views' tests use the
	// same id for their first snapshot).
	IPFSnapshot = "11111111-aaaa-4000-8000-000000000001"
	// NTPCheck is the check with the most red rows; its table has them.
	NTPCheck = "NTP sources"
	// NTPRed is how many red rows NTPCheck has.
	NTPRed = 25
	// GreenChecks is how many of the snapshot's checks have only green rows.
	GreenChecks = 27
	ntpTable    = "/tables/management/ntp/sources"
)

// IPFSnapshotStart is when the fake's snapshot started; it took ten
// minutes.
var IPFSnapshotStart = time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)

// StartIPF runs a fake IP Fabric over TLS on loopback, stopped when the
// test ends. Snapshot IPFSnapshot is "site-A": 42 devices, sites BRANCH and
// HQ, 3 CLI timeouts and 1 ABMap error. Its intent checks are NTP sources
// (25 red rows, in its table), DNS resolvers (2 red, 1 amber), BGP sessions
// (3 amber) and GreenChecks checks with only green rows.
func StartIPF(tb testing.TB) *ipffake.Server {
	tb.Helper()
	f := ipffake.Start(tb, ipffake.Options{})
	start := IPFSnapshotStart.UnixMilli()
	f.SetSnapshots(ipffake.Snapshot{ID: IPFSnapshot, Name: "site-A", TotalDevCount: 42, LicensedDevCount: 42,
		TsStart: start, TsEnd: start + 10*60*1000, Sites: []string{"BRANCH", "HQ"},
		Errors: []ipffake.SnapshotError{{Type: "ABMapResultError", Count: 1}, {Type: "CliTimeout", Count: 3}}})
	reports := []ipffake.Report{
		{ID: "1001", Name: NTPCheck, Groups: []ipffake.Group{{ID: "g1", Name: "Management"}},
			APIEndpoint: ntpTable, WebEndpoint: "/technology/management/ntp/sources", Column: "reachable",
			Counts: map[int]int{0: 5, 30: NTPRed}},
		{ID: "1002", Name: "DNS resolvers", APIEndpoint: "/tables/management/dns/resolvers",
			WebEndpoint: "/technology/management/dns/resolvers", Column: "status", Counts: map[int]int{0: 8, 20: 1, 30: 2}},
		{ID: "1003", Name: "BGP sessions", APIEndpoint: "/tables/routing/protocols/bgp/neighbors",
			WebEndpoint: "/technology/routing/bgp/neighbors", Column: "state", Counts: map[int]int{0: 40, 20: 3}},
	}
	for i := range GreenChecks {
		reports = append(reports, ipffake.Report{ID: fmt.Sprint(2001 + i), Name: fmt.Sprintf("Healthy check %02d", i+1),
			APIEndpoint: "/tables/healthy", WebEndpoint: "/technology/healthy", Column: "ok", Counts: map[int]int{0: 4}})
	}
	f.SetReports(IPFSnapshot, reports...)
	var rows []map[string]any
	for i := range NTPRed + 5 {
		sev, state := 30, "unreachable"
		if i >= NTPRed {
			sev, state = 0, "reachable"
		}
		rows = append(rows, map[string]any{"id": fmt.Sprint(i), "hostname": fmt.Sprintf("sw%02d", i+1),
			"siteName": []string{"HQ", "BRANCH"}[i%2], "source": "10.0.0.1",
			"reachable": ipffake.Cell(state, sev)})
	}
	f.SetTable(ntpTable, ipffake.Table{Columns: []string{"id", "hostname", "siteName", "source", "reachable"}, Rows: rows})
	return f
}

// LookUp looks event id up in IP Fabric's API now, as the App does after
// storing it (and as Look up again does), and returns the result.
func LookUp(tb testing.TB, a *app.App, id int64) enrich.Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := a.Enricher().Redo(ctx, id)
	if err != nil {
		tb.Fatalf("look up event %d: %v", id, err)
	}
	return r
}
