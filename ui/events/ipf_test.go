package events

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// ipfApp is a real App using a fake IP Fabric's API, with a discovery and
// its intent verification of the fake's snapshot stored (ids 1 and 2).
func ipfApp(t *testing.T) (*app.App, *ipffake.Server) {
	t.Helper()
	f := uitest.StartIPF(t)
	a := uitest.NewApp(t, uitest.AppOptions{Secret: secret, KeepAll: true, IPF: f})
	insert(t, a, uitest.Delivery(t, send.Payload{SnapshotID: uitest.IPFSnapshot, SnapshotName: "site-A", Time: base}, base))
	insert(t, a, uitest.Delivery(t, send.Payload{Type: "intent-verification", SnapshotID: uitest.IPFSnapshot,
		Time: base.Add(2 * time.Minute)}, base.Add(2*time.Minute)))
	return a, f
}

// links returns the section's hyperlinks, in order.
func links(o fyne.CanvasObject) []*widget.Hyperlink {
	var out []*widget.Hyperlink
	for _, x := range test.LaidOutObjects(o) {
		if h, ok := x.(*widget.Hyperlink); ok && h.Visible() {
			out = append(out, h)
		}
	}
	return out
}

// showEvent builds the view and selects event id in it.
func showEvent(t *testing.T, a *app.App, id int64) (*View, fyne.Window, uitest.Queue) {
	t.Helper()
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, id), Col: 0})
	settle(t, v, q)
	return v, w, q
}

func TestIPFSectionShowsTheLookup(t *testing.T) {
	test.NewTempApp(t)
	a, f := ipfApp(t)
	if r := uitest.LookUp(t, a, 2); r.State != store.EnrichDone {
		t.Fatalf("lookup = %+v, want done", r)
	}
	v, w, _ := showEvent(t, a, 2)
	s := v.details.ipf
	if s.state.Text != "Looked up in IP Fabric's API." {
		t.Errorf("state = %q", s.state.Text)
	}
	for _, want := range []string{"Name: site-A\n", "Devices: 42", "Sites (2): BRANCH, HQ",
		"Started: 2025-03-04 08:00:00", "Ended: 2025-03-04 08:10:00 (took 10m0s)",
		"Discovery errors: CliTimeout 3, ABMapResultError 1"} {
		if !strings.Contains(s.facts.Text, want) {
			t.Errorf("snapshot facts lack %q:\n%s", want, s.facts.Text)
		}
	}
	// The snapshot, then the failing checks, red first, then amber.
	var got []string
	for _, h := range links(s.root) {
		got = append(got, h.Text+" -> "+h.URL.String())
	}
	ntp := ipf.Check{WebEndpoint: "/technology/management/ntp/sources", Column: "reachable"}
	dns := ipf.Check{WebEndpoint: "/technology/management/dns/resolvers", Column: "status"}
	bgp := ipf.Check{WebEndpoint: "/technology/routing/bgp/neighbors", Column: "state"}
	want := []string{
		"Open the snapshot in IP Fabric -> " + f.URL + "/snapshot-management/" + uitest.IPFSnapshot,
		"NTP sources: 25 red -> " + ipf.CheckURL(f.URL, ntp, ipf.Red),
		"DNS resolvers: 2 red, 1 amber -> " + ipf.CheckURL(f.URL, dns, ipf.Red),
		// Nothing red: the link shows its amber rows.
		"BGP sessions: 3 amber -> " + ipf.CheckURL(f.URL, bgp, ipf.Amber),
	}
	if !slices.Equal(got, want) {
		t.Errorf("links\n got %q\nwant %q", got, want)
	}
	if !uitest.HasLabel(s.root, "and 27 checks green") {
		t.Errorf("the green checks are not summed up; labels: %q", uitest.Labels(s.root))
	}
	if uitest.ContainsLabel(s.root, "Healthy check") {
		t.Error("green checks are listed one by one")
	}

	// A link opens IP Fabric's page for it.
	rec := &uitest.URLOpener{App: fyne.CurrentApp()}
	fyne.SetCurrentApp(rec)
	test.TapAt(links(s.root)[1], fyne.NewPos(theme.InnerPadding()+2, theme.InnerPadding()+2))
	if len(rec.Opened) != 1 || rec.Opened[0] != ipf.CheckURL(f.URL, ntp, ipf.Red) {
		t.Errorf("opened %q, want the NTP check's red rows", rec.Opened)
	}
	if !uitest.ContainsLabel(w.Content(), "Look up again") {
		t.Error("no Look up again button")
	}
}

func TestLookUpAgainAndLiveResults(t *testing.T) {
	test.NewTempApp(t)
	a, f := ipfApp(t)
	f.SetFault(ipffake.RouteSnapshot, ipffake.Fault{Status: 503})
	if r := uitest.LookUp(t, a, 1); r.State != store.EnrichFailed {
		t.Fatalf("lookup = %+v, want failed", r)
	}
	v, _, q := showEvent(t, a, 1)
	s := v.details.ipf
	if !strings.HasPrefix(s.state.Text, "The lookup in IP Fabric's API failed (1 attempt): ") ||
		!strings.Contains(s.state.Text, "It is tried again at ") || s.state.Importance != widget.WarningImportance {
		t.Errorf("state = %q (importance %v), want the failure, its attempt and the retry time", s.state.Text, s.state.Importance)
	}
	if s.facts.Visible() {
		t.Error("snapshot facts shown for a failed lookup")
	}

	// IP Fabric is back: Look up again asks it now.
	f.SetFault(ipffake.RouteSnapshot, ipffake.Fault{})
	before := f.Count(ipffake.RouteSnapshot)
	test.Tap(s.redo)
	if !s.redo.Disabled() || s.state.Text != "Looking it up in IP Fabric's API…" {
		t.Errorf("while looking up: button disabled %t, state %q", s.redo.Disabled(), s.state.Text)
	}
	settle(t, v, q)
	if f.Count(ipffake.RouteSnapshot) == before {
		t.Fatal("Look up again asked IP Fabric nothing")
	}
	if s.state.Text != "Looked up in IP Fabric's API." || !strings.Contains(s.facts.Text, "Devices: 42") || s.redo.Disabled() {
		t.Errorf("after Look up again: state %q, facts %q, button disabled %t", s.state.Text, s.facts.Text, s.redo.Disabled())
	}

	// A lookup that ends elsewhere (the Enricher, the CLI) shows at once
	// for the event shown.
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 2), Col: 0})
	settle(t, v, q)
	if !strings.HasPrefix(s.state.Text, "Not looked up in IP Fabric's API") {
		t.Fatalf("event 2 before its lookup: %q", s.state.Text)
	}
	sub := a.Subscribe()
	defer sub.Close()
	uitest.LookUp(t, a, 2)
	c := uitest.WaitChange(t, sub, app.EventEnriched)
	v.Changed(c)
	settle(t, v, q)
	if c.ID != 2 || !uitest.ContainsLabel(s.root, "NTP sources: 25 red") {
		t.Errorf("after %+v the section shows %q", c, uitest.Labels(s.root))
	}
}

func TestIPFSectionWithoutTheAPI(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t) // no IP Fabric configured
	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	s := v.details.ipf
	tests := []struct {
		id    int64
		state string
		redo  bool
	}{
		{2, "Not looked up in IP Fabric's API: IP Fabric's API was not configured when this event arrived.", true},
		{4, `Not looked up in IP Fabric's API: only completed events are looked up (this one is "failed").`, false},
		{5, "Not looked up in IP Fabric's API: a test webhook: its snapshot id is not a real snapshot.", false},
	}
	for _, tt := range tests {
		v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, tt.id), Col: 0})
		settle(t, v, q)
		if s.state.Text != tt.state || s.redo.Visible() != tt.redo {
			t.Errorf("event %d: state %q, Look up again shown %t; want %q, %t", tt.id, s.state.Text, s.redo.Visible(), tt.state, tt.redo)
		}
	}
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 2), Col: 0})
	settle(t, v, q)
	test.Tap(s.redo)
	settle(t, v, q)
	if !strings.HasPrefix(s.state.Text, "Look up again did not run: IP Fabric's API is not configured") ||
		s.state.Importance != widget.DangerImportance {
		t.Errorf("state = %q, want why Look up again cannot run", s.state.Text)
	}
}

func TestCaughtUpEventsSayWhereTheyCameFrom(t *testing.T) {
	test.NewTempApp(t)
	f := uitest.StartIPF(t)
	a := uitest.NewApp(t, uitest.AppOptions{Secret: secret, KeepAll: true, IPF: f})
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	if strings.Contains(v.info.Text, "caught up") {
		t.Fatalf("info = %q before any catch-up", v.info.Text)
	}
	// No webhook came for the fake's snapshot: catch-up finds it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	added, err := a.CatchUp(ctx, uitest.IPFSnapshotStart.Add(-time.Hour))
	if err != nil || len(added) != 2 {
		t.Fatalf("catch-up added %d events, %v; want the discovery and its intent verification", len(added), err)
	}
	v.Changed(app.Change{Kind: app.EventStored, ID: added[1].ID})
	v.Changed(app.Change{Kind: app.StateChanged})
	settle(t, v, q)
	if !strings.HasPrefix(v.info.Text, "2 events · 2 events caught up from IP Fabric at ") {
		t.Errorf("info = %q, want the count caught up", v.info.Text)
	}
	if !uitest.ContainsLabel(w.Content(), "2 events caught up from IP Fabric at ") {
		t.Errorf("the catch-up is not on screen; labels: %q", uitest.Labels(w.Content()))
	}
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, added[1].ID), Col: 0})
	settle(t, v, q)
	facts := v.details.facts.Text
	if !strings.Contains(facts, "Source: caught up from IP Fabric's API (no webhook reached ipfwatch for it)") ||
		strings.Contains(facts, "Secret matched") {
		t.Errorf("facts of a caught-up event:\n%s", facts)
	}
	// Catch-up looked it up too.
	if !uitest.ContainsLabel(v.details.ipf.root, "NTP sources: 25 red") {
		t.Errorf("caught-up intent verification without its checks: %q", uitest.Labels(v.details.ipf.root))
	}
}

func TestGoldenEnrichedEvent(t *testing.T) {
	test.NewTempApp(t)
	a, _ := ipfApp(t)
	uitest.LookUp(t, a, 2)
	v, w, q := newView(t, a, viewkit.WithLocation(time.FixedZone("CET", 3600)))
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 2), Col: 0})
	settle(t, v, q)
	test.AssertRendersToMarkup(t, "events_enriched.xml", w.Canvas())
}

func TestManyFailingChecksAreCut(t *testing.T) {
	test.NewTempApp(t)
	var checks []ipf.Check
	for i := range maxListedChecks + 5 {
		checks = append(checks, ipf.Check{ID: fmt.Sprint(i), Name: fmt.Sprintf("check %02d", i), Red: i + 1,
			WebEndpoint: "/technology/x", Column: "c"})
	}
	checks = append(checks, ipf.Check{Name: "fine", Green: 3})
	s := newIPFSection(func() {})
	s.showChecks(checks, "https://ipf.example.com")
	got := links(s.root)
	if len(got) != maxListedChecks || got[0].Text != "check 24: 25 red" {
		t.Fatalf("%d links, first %q; want %d, the worst first", len(got), got[0].Text, maxListedChecks)
	}
	for _, want := range []string{"Intent checks (26), worst first:",
		"and 5 more checks with red or amber rows (ipfwatch log --json lists them all)", "and 1 check green"} {
		if !uitest.HasLabel(s.root, want) {
			t.Errorf("no %q; labels: %q", want, uitest.Labels(s.root))
		}
	}
	// Without an address configured now, the links stored with the lookup
	// serve, and a check without one is plain text.
	s = newIPFSection(func() {})
	s.showChecks([]ipf.Check{{Name: "a", Red: 1, URL: "https://stored.example.com/x"}, {Name: "b", Red: 1}}, "")
	if got := links(s.root); len(got) != 1 || got[0].URL.String() != "https://stored.example.com/x" || !uitest.HasLabel(s.root, "b: 1 red") {
		t.Errorf("links without an address: %v; labels %q", got, uitest.Labels(s.root))
	}
}
