package approvals

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// fixNTP proposes for every intent check named NTP* with red rows.
var fixNTP = remediation.Rule{Name: "fix-ntp", Enabled: true,
	Match: remediation.Match{Type: "intent-verification", Action: "calculate", Status: "completed",
		Intent: &remediation.IntentMatch{Check: "NTP*", Color: "red"}},
	Command: []string{"/home/me/automation/fix-ntp.sh", "--check", "{{check.id}}"}, Workdir: "/home/me/automation"}

// intentApp is a real App on a fake IP Fabric with fix-ntp in force and an
// intent verification of the fake's snapshot stored (event 1), not yet
// looked up.
func intentApp(t *testing.T, clk *clock) (*app.App, *ipffake.Server, int64) {
	t.Helper()
	f := uitest.StartIPF(t)
	a := uitest.NewApp(t, uitest.AppOptions{Now: clk.Now, Secret: secret, KeepAll: true, IPF: f})
	setRules(t, a, fixNTP)
	id, ids := storeEvent(t, a, send.Payload{Type: "intent-verification", SnapshotID: uitest.IPFSnapshot, Time: base}, base)
	if len(ids) != 0 {
		t.Fatalf("proposals before the lookup = %v; a rule on intent checks waits for them", ids)
	}
	return a, f, id
}

func TestApprovalScreenShowsTheIntentCheck(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a, _, id := intentApp(t, clk)
	uitest.LookUp(t, a, id)
	v, w, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.UTC))
	if len(v.lists.pending) != 1 {
		t.Fatalf("pending = %d, want the proposal for NTP sources", len(v.lists.pending))
	}
	if !uitest.ContainsLabel(w.Content(), "NTP sources 25 red · Intent verification calculate completed · "+uitest.IPFSnapshot) {
		t.Errorf("the pending row does not name the check; labels: %q", uitest.Labels(w.Content()))
	}
	v.pendingList.Select(0)
	settle(t, v, q)
	s := v.pane
	for _, want := range []string{
		"IP Fabric: Intent verification: 2 checks red (NTP sources 25, DNS resolvers 2)",
		"Intent check",
		`Intent check "NTP sources" (id 1001): 25 red rows.`,
		"Device", "Site", "Value", "sw01", "HQ", "unreachable", "sw20",
		"and 5 more (all 25 reach the program in IPF_CHECK_ROWS_FILE)",
		"1001", // {{check.id}} in the arguments
		AddedVariables, AddedCheckVariables,
	} {
		if !uitest.HasLabel(s.propRoot, want) {
			t.Errorf("approval screen lacks %q; labels: %q", want, uitest.Labels(s.propRoot))
		}
	}
	if uitest.HasLabel(s.propRoot, "sw21") {
		t.Error("more than 20 rows listed")
	}
	if p := s.prop; p.Check == nil || p.Check.Count != uitest.NTPRed || p.Check.Color != "red" {
		t.Errorf("proposal check = %+v", p.Check)
	}
}

func TestWaitingOnIPFNote(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a, f, id := intentApp(t, clk)
	f.SetFault(ipffake.RouteReports, ipffake.Fault{Status: 503})
	if r := uitest.LookUp(t, a, id); r.State != store.EnrichFailed {
		t.Fatalf("lookup = %+v, want failed", r)
	}
	v, _, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.UTC))
	want := "Rule fix-ntp made no proposal for event 1: IP Fabric's intent checks could not be read ("
	if !v.blocked.Visible() || !strings.HasPrefix(v.blocked.Text, want) || !strings.Contains(v.blocked.Text, "503") {
		t.Errorf("note = %q (visible %t), want it to start %q and give the reason", v.blocked.Text, v.blocked.Visible(), want)
	}
	if len(v.lists.pending) != 0 {
		t.Errorf("pending = %d without the checks", len(v.lists.pending))
	}

	// IP Fabric answers again: the lookup proposes, and the note goes.
	f.SetFault(ipffake.RouteReports, ipffake.Fault{})
	sub := a.Subscribe()
	defer sub.Close()
	uitest.LookUp(t, a, id)
	v.Changed(uitest.WaitChange(t, sub, app.ProposalChanged))
	settle(t, v, q)
	if v.blocked.Visible() || len(v.lists.pending) != 1 {
		t.Errorf("after the checks came: note %q (visible %t), %d pending", v.blocked.Text, v.blocked.Visible(), len(v.lists.pending))
	}
}

func TestBlockedNote(t *testing.T) {
	b := func(rule string, id int64) remediation.Blocked {
		return remediation.Blocked{Rule: rule, EventID: id, Reason: "IP Fabric is unreachable."}
	}
	tests := []struct {
		in   []remediation.Blocked
		want string
	}{
		{nil, ""},
		{[]remediation.Blocked{b("fix-ntp", 12)},
			"Rule fix-ntp made no proposal for event 12: IP Fabric's intent checks could not be read (IP Fabric is unreachable)."},
		{[]remediation.Blocked{b("a", 1), b("b", 2), b("c", 3), b("d", 4), b("e\n", 5)},
			"Rule a made no proposal for event 1: IP Fabric's intent checks could not be read (IP Fabric is unreachable).\n" +
				"Rule b made no proposal for event 2: IP Fabric's intent checks could not be read (IP Fabric is unreachable).\n" +
				"Rule c made no proposal for event 3: IP Fabric's intent checks could not be read (IP Fabric is unreachable).\n" +
				"and 2 more (the log has them all)"},
	}
	for _, tt := range tests {
		if got := blockedNote(tt.in); got != tt.want {
			t.Errorf("blockedNote(%d) =\n%s\nwant\n%s", len(tt.in), got, tt.want)
		}
	}
}

func TestCheckDetailsWithoutRows(t *testing.T) {
	test.NewTempApp(t)
	tests := []struct {
		name string
		c    store.ProposalCheck
		want []string
	}{
		{"rows not read", store.ProposalCheck{ID: "7", Name: "DNS", Color: "amber", Count: 1},
			[]string{`Intent check "DNS" (id 7): 1 amber row.`, "IP Fabric's failing rows were not read when it was proposed: the program gets an empty list in IPF_CHECK_ROWS_FILE."}},
		{"rows unreadable", store.ProposalCheck{ID: "7", Name: "DNS", Color: "red", Count: 2, Rows: []byte("{")},
			[]string{"Its failing rows cannot be read: check rows: unexpected end of JSON input"}},
		{"more rows than kept", store.ProposalCheck{ID: "7", Name: "x\ny", Color: "red", Count: 1500,
			Rows: []byte(`[{"hostname":"r1\u202e","site":"HQ","value":"down"}]`)},
			[]string{`Intent check "x` + "\uFFFD" + `y" (id 7): 1500 red rows.`, "r1\uFFFD", "down", "IP Fabric counted 1500 red rows; the proposal keeps the first 1."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := CheckDetails(tt.c)
			for _, w := range tt.want {
				if !uitest.HasLabel(o, w) {
					t.Errorf("no %q; labels: %q", w, uitest.Labels(o))
				}
			}
		})
	}
}

func TestGoldenApprovalOfAnIntentCheck(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a, _, id := intentApp(t, clk)
	uitest.LookUp(t, a, id)
	clk.Add(50 * time.Minute)
	v, w, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.FixedZone("CET", 3600)))
	v.pendingList.Select(0)
	settle(t, v, q)
	test.AssertRendersToMarkup(t, "approval_check.xml", w.Canvas())
}

// TestApprovalScreenFollowsTheLookup shows a proposal made at once (a rule
// without an intent condition) whose event is looked up afterwards: the
// approval screen then gives what IP Fabric said.
func TestApprovalScreenFollowsTheLookup(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	f := uitest.StartIPF(t)
	a := uitest.NewApp(t, uitest.AppOptions{Now: clk.Now, Secret: secret, KeepAll: true, IPF: f})
	setRules(t, a, remediation.Rule{Name: "notify-team", Enabled: true,
		Match: remediation.Match{Type: "intent-verification"}, Command: []string{"/bin/true"}, Workdir: "/tmp"})
	id, ids := storeEvent(t, a, send.Payload{Type: "intent-verification", SnapshotID: uitest.IPFSnapshot, Time: base}, base)
	if len(ids) != 1 {
		t.Fatalf("proposals = %v, want one at once", ids)
	}
	v, _, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.UTC))
	v.pendingList.Select(0)
	settle(t, v, q)
	if got := v.pane.pIPF.Text; !strings.HasPrefix(got, "Not looked up in IP Fabric's API") {
		t.Errorf("before the lookup: %q", got)
	}
	if v.pane.pCheck.Objects != nil {
		t.Error("an intent check shown for a proposal made without one")
	}
	sub := a.Subscribe()
	defer sub.Close()
	uitest.LookUp(t, a, id)
	v.Changed(uitest.WaitChange(t, sub, app.EventEnriched))
	settle(t, v, q)
	if want := "IP Fabric: Intent verification: 2 checks red (NTP sources 25, DNS resolvers 2)"; v.pane.pIPF.Text != want {
		t.Errorf("after the lookup: %q, want %q", v.pane.pIPF.Text, want)
	}
	// Another event's lookup leaves the screen alone (it would be shown
	// again, scrolled to the top, under the engineer's eyes).
	v.pane.pIPF.SetText("unchanged")
	v.Changed(app.Change{Kind: app.EventEnriched, ID: id + 100})
	settle(t, v, q)
	if v.pane.pIPF.Text != "unchanged" {
		t.Errorf("another event's lookup showed the screen again: %q", v.pane.pIPF.Text)
	}
}
