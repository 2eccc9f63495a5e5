package ipf

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

// The standard data the fake serves in these tests.
const (
	snapID   = "1d1bd0f4-6f65-4f1e-9f0a-9a1b2c3d4e5f"
	oldSnap  = "0a0b0c0d-0000-4000-8000-000000000001"
	ifTable  = "/tables/interfaces/errors/connected"
	nbrTable = "/tables/neighbors/unidirectional"
)

var (
	snapStart = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC).UnixMilli()
	snapEnd   = snapStart + 10*60*1000
)

var ifReport = ipffake.Report{
	ID: "1001", Name: "Interface errors",
	Groups:      []ipffake.Group{{ID: "g2", Name: "Interfaces"}, {ID: "g3", Name: "Health"}},
	APIEndpoint: ifTable, WebEndpoint: "/technology/interfaces/error-rates/connected", Column: "errPktsPct",
	General:      "Interfaces with errors.",
	Descriptions: map[int]string{30: "More than 1% errors.", 20: "Some errors."},
	Counts:       map[int]int{0: 5, 20: 2, 30: 3},
}

var nbrReport = ipffake.Report{
	ID: "320633253", Name: "CDP/LLDP unidirectional",
	Groups:      []ipffake.Group{{ID: "320668119", Name: "Neighborship compliance", Custom: true}},
	APIEndpoint: nbrTable, WebEndpoint: "/technology/cdp-lldp/unidirectional-neighbors", Column: "localHost",
	DefaultColor: 10, Descriptions: map[int]string{10: "Unidirectional CDP or LLDP sessions."},
	Counts: map[int]int{10: 21, 20: 10}, Count: 21,
}

// startFake runs a fake with the standard data.
func startFake(t *testing.T, opts ipffake.Options) *ipffake.Server {
	t.Helper()
	f := ipffake.Start(t, opts)
	f.SetSnapshots(
		ipffake.Snapshot{ID: snapID, Name: "Daily", TotalDevCount: 120, LicensedDevCount: 118, TsStart: snapStart, TsEnd: snapEnd,
			Sites:  []string{"BRANCH", "HQ"},
			Errors: []ipffake.SnapshotError{{Type: "ABMapResultError", Count: 1}, {Type: "CliTimeout", Count: 3}}},
		ipffake.Snapshot{ID: oldSnap, NullName: true, TotalDevCount: 100, TsStart: snapStart - 86400000, TsEnd: snapEnd - 86400000,
			State: "unloaded", Status: "unloaded", FinishStatus: "done", Sites: []string{"HQ"}},
	)
	f.SetReports(snapID, ifReport, nbrReport)
	var ifRows []map[string]any
	sev := []int{0, 0, 0, 0, 0, 20, 20, 30, 30, 30}
	for i, s := range sev {
		ifRows = append(ifRows, map[string]any{
			"id": fmt.Sprintf("r%d", i), "hostname": fmt.Sprintf("sw%02d", i), "siteName": []string{"HQ", "BRANCH"}[i%2],
			"intName": "Gi0/" + fmt.Sprint(i), "errPktsPct": ipffake.Cell(float64(i)/10, s),
		})
	}
	f.SetTable(ifTable, ipffake.Table{Columns: []string{"id", "hostname", "siteName", "intName", "errPktsPct"}, Rows: ifRows})
	f.SetTable(nbrTable, ipffake.Table{
		Columns: []string{"id", "localHost", "localInt", "siteName", "remoteHost"},
		Rows: []map[string]any{
			{"id": "n1", "localHost": ipffake.Cell("core1", 10), "localInt": "Eth1", "siteName": "HQ", "remoteHost": "x"},
			{"id": "n2", "localHost": ipffake.Cell("core2", 20), "localInt": "Eth2", "siteName": "HQ", "remoteHost": "y"},
		},
	})
	return f
}

// clientFor returns a client of f that trusts f's certificate through
// IPF_VERIFY=<pem file>.
func clientFor(t *testing.T, f *ipffake.Server, opts Options) *Client {
	t.Helper()
	path, err := f.WriteCertPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, Config{URL: f.URL, Token: f.Token, Verify: path}, opts)
}

func newClient(t *testing.T, cfg Config, opts Options) *Client {
	t.Helper()
	c, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
