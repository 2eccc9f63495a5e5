package ipf

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

func TestSnapshot(t *testing.T) {
	for _, stringCounts := range []bool{false, true} {
		t.Run(fmt.Sprintf("stringCounts=%v", stringCounts), func(t *testing.T) {
			f := startFake(t, ipffake.Options{})
			f.SetKnobs(func(k *ipffake.Knobs) { k.StringCounts = stringCounts })
			c := clientFor(t, f, Options{})
			s, err := c.Snapshot(ctx(t), snapID)
			if err != nil {
				t.Fatal(err)
			}
			want := Snapshot{
				ID: snapID, Name: "Daily", Devices: 120, Sites: []string{"BRANCH", "HQ"},
				StartMS: snapStart, EndMS: snapEnd,
				Errors: []SnapshotError{{"ABMapResultError", 1}, {"CliTimeout", 3}},
				URL:    f.URL + "/snapshot-management/" + snapID,
				State:  "loaded", Status: "done", Version: "7.0.15+2",
			}
			if !reflect.DeepEqual(s, want) {
				t.Fatalf("Snapshot =\n%+v\nwant\n%+v", s, want)
			}
			if s.Duration() != 10*time.Minute || !s.End().Equal(time.UnixMilli(snapEnd)) {
				t.Errorf("Duration = %s, End = %s", s.Duration(), s.End())
			}
		})
	}
}

func TestSnapshotNullNameAndRefs(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	s, err := c.Snapshot(ctx(t), oldSnap)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "" || s.State != "unloaded" || s.EndMS != snapEnd-86400000 {
		t.Fatalf("Snapshot = %+v, want no name, unloaded", s)
	}
	last, err := c.Snapshot(ctx(t), "$last")
	if err != nil || last.ID != snapID {
		t.Fatalf("$last = %+v, %v; want %s", last, err, snapID)
	}
	reqs := f.Requests()
	if p := reqs[len(reqs)-1].Path; p != "/api/v7.0/snapshots/$last" {
		t.Errorf("path = %s", p)
	}
}

func TestSnapshotIDIsEscaped(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	_, err := c.Snapshot(ctx(t), "../users/me")
	if !IsNotFound(err) {
		t.Fatalf("error = %v, want NotFound", err)
	}
	reqs := f.Requests()
	if r := reqs[len(reqs)-1]; r.Route != ipffake.RouteSnapshot {
		t.Fatalf("an id with a slash reached %s (%s)", r.Route, r.Path)
	}
}

func TestSnapshotJSONShape(t *testing.T) {
	s := Snapshot{ID: "a", Name: "n", Devices: 3, Sites: []string{"HQ"}, StartMS: 1, EndMS: 2,
		Errors: []SnapshotError{{"E", 4}}, URL: "u", State: "loaded", Status: "done", Version: "7"}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"a","name":"n","devices":3,"sites":["HQ"],"start_ms":1,"end_ms":2,"errors":[{"type":"E","count":4}],"url":"u"}`
	if string(b) != want {
		t.Fatalf("JSON = %s\nwant   %s", b, want)
	}
	empty, _ := json.Marshal(parseSnapshot(map[string]any{"id": "x"}, ""))
	if !strings.Contains(string(empty), `"sites":[]`) || !strings.Contains(string(empty), `"errors":[]`) {
		t.Fatalf("empty lists must print as [], got %s", empty)
	}
}

func TestFinishedSnapshots(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var snaps []ipffake.Snapshot
	// 2500 snapshots an hour apart, so the catch-up walks three pages, plus
	// some that are not finished.
	for i := 0; i < 2500; i++ {
		end := base.Add(time.Duration(i) * time.Hour).UnixMilli()
		sn := ipffake.Snapshot{ID: fmt.Sprintf("s%04d", i), Name: fmt.Sprintf("n%d", i), TsStart: end - 60000, TsEnd: end, TotalDevCount: i}
		if i%10 == 0 {
			sn.Status, sn.State, sn.FinishStatus = "unloaded", "unloaded", "done"
		}
		snaps = append(snaps, sn)
	}
	snaps = append(snaps,
		ipffake.Snapshot{ID: "running", Status: "run", FinishStatus: "", TsStart: base.Add(3000 * time.Hour).UnixMilli()},
		ipffake.Snapshot{ID: "failed", Status: "error", FinishStatus: "error", TsStart: 1, TsEnd: base.Add(2600 * time.Hour).UnixMilli()},
	)
	f.SetSnapshots(snaps...)
	c := clientFor(t, f, Options{})

	since := base.Add(2490 * time.Hour)
	rows, err := c.FinishedSnapshots(ctx(t), since)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, " "); got != "s2490 s2491 s2492 s2493 s2494 s2495 s2496 s2497 s2498 s2499" {
		t.Fatalf("since %s: %s", since, got)
	}
	if rows[0].Loaded() || !rows[1].Loaded() || rows[1].Devices != 2491 || rows[1].URL != f.URL+"/snapshot-management/s2491" {
		t.Fatalf("rows[0..1] = %+v", rows[:2])
	}
	if n := f.Count(ipffake.RouteSnapshotTable); n != 1 {
		t.Errorf("a catch-up of recent snapshots took %d pages, want 1", n)
	}
	var body map[string]any
	if err := json.Unmarshal(f.Requests()[len(f.Requests())-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(body["sort"]) != "map[column:tsEnd order:desc]" || fmt.Sprint(body["filters"]) != "map[finishStatus:[eq done]]" ||
		fmt.Sprint(body["pagination"]) != "map[limit:1000 start:0]" {
		t.Errorf("request body = %v", body)
	}

	f.ResetRequests()
	all, err := c.FinishedSnapshots(ctx(t), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2500 || all[0].ID != "s0000" || all[2499].ID != "s2499" {
		t.Fatalf("all: %d rows, first %v", len(all), all[0])
	}
	if n := f.Count(ipffake.RouteSnapshotTable); n != 3 {
		t.Errorf("2500 rows took %d pages, want 3", n)
	}
}

// TestFinishedSnapshotsWithoutFilter: an IP Fabric refusing the filter
// (422) is asked again without it, and the client filters.
func TestFinishedSnapshotsWithoutFilter(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	f.SetSnapshots(
		ipffake.Snapshot{ID: "done", TsStart: 1, TsEnd: 2000},
		ipffake.Snapshot{ID: "err", Status: "error", FinishStatus: "error", TsStart: 1, TsEnd: 3000},
	)
	c := clientFor(t, f, Options{})
	f.SetFault(ipffake.RouteSnapshotTable, ipffake.Fault{Status: 422, Body: `{"errors":[{"message":"\"filters\" bad"}]}`, Times: 1})
	rows, err := c.FinishedSnapshots(ctx(t), time.Time{})
	if err != nil || len(rows) != 1 || rows[0].ID != "done" {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	var bodies []string
	for _, r := range f.Requests() {
		if r.Route == ipffake.RouteSnapshotTable {
			bodies = append(bodies, string(r.Body))
		}
	}
	if !strings.Contains(bodies[0], `"filters"`) || strings.Contains(bodies[1], `"filters"`) {
		t.Fatalf("want a filtered request, then one without filters: %q", bodies)
	}
}
