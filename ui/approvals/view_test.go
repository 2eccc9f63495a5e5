package approvals

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

var base = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

const snapA = "11111111-aaaa-4000-8000-000000000001"

// failedDiscovery is the event the tests' rules match.
var failedDiscovery = send.Payload{Status: "failed", SnapshotID: snapA, SnapshotName: "site-A",
	Reason: "out of memory", Time: base}

var matchFailed = remediation.Match{Type: "snapshot", Action: "discover", Status: "failed"}

func TestApprovalScreenShowsWhatWillRun(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a := newApp(t, appConfig{now: clk.Now})
	workdir := t.TempDir()
	setRules(t, a, remediation.Rule{
		Name: "fix-discovery", Enabled: true, Match: matchFailed,
		Command: []string{"/opt/remedy/run.sh", "--snapshot", "{{snapshotId}}", "two words", "line1\nline2", ""},
		Workdir: workdir,
		Env:     map[string]string{"ANSIBLE_FORCE_COLOR": "0", "WHAT": "{{status}}"},
		Timeout: 90 * time.Second,
	})
	_, ids := storeEvent(t, a, failedDiscovery, base)
	if len(ids) != 1 {
		t.Fatalf("proposals = %v, want one", ids)
	}
	clk.Add(50 * time.Minute)
	v, w, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.UTC))

	if len(v.lists.pending) != 1 {
		t.Fatalf("pending = %d, want 1", len(v.lists.pending))
	}
	for _, want := range []string{"Awaiting approval (1)", "fix-discovery · expires in 23h 10m",
		"Snapshot discover failed · site-A", "Nothing is running.", "Nothing has been decided yet."} {
		if !uitest.HasLabel(w.Content(), want) {
			t.Errorf("list lacks %q; labels: %q", want, uitest.Labels(w.Content()))
		}
	}

	v.pendingList.Select(0)
	settle(t, v, q)
	s := v.pane
	if !s.propRoot.Visible() {
		t.Fatalf("approval screen not shown")
	}
	wantLabels := []string{
		"Proposal 1: rule fix-discovery",
		// The program, then each argument on its own line, verbatim or
		// quoted where it would not show as it is.
		"/opt/remedy/run.sh", "--snapshot", snapA, "two words", `"line1\nline2"`, `""`,
		workdir,
		"ANSIBLE_FORCE_COLOR=0", "WHAT=failed",
		AddedVariables,
		"1m30s, then the program and everything it started are stopped",
		"Snapshot discover failed (event 1, received 2025-03-04 09:00:00)",
		`The discover of snapshot "site-A" (` + snapA + `) has failed: out of memory. Requested by user:1. IP Fabric's timestamp: 2025-03-04 09:00:00.`,
		"Awaiting your approval: expires in 23h 10m (at 2025-03-05 09:00:00). Nothing runs until you approve it.",
		"Approve & run", "Reject…",
	}
	for _, want := range wantLabels {
		if !uitest.HasLabel(s.propRoot, want) {
			t.Errorf("approval screen lacks %q; labels: %q", want, uitest.Labels(s.propRoot))
		}
	}
	if !strings.Contains(AddedVariables, "IPF_EVENT_FILE") || !strings.Contains(AddedVariables, "IPF_SNAPSHOT_ID") {
		t.Errorf("the note on added variables does not name them: %q", AddedVariables)
	}
	// The arguments are numbered in order, one per row.
	args := uitest.Labels(s.pPlan)
	order := []string{"/opt/remedy/run.sh", "--snapshot", "1", snapA, "2", "two words", "3", `"line1\nline2"`, "4", `""`, "5"}
	at := 0
	for _, l := range args {
		if at < len(order) && l == order[at] {
			at++
		}
	}
	if at != len(order) {
		t.Errorf("arguments not listed in order %q; got %q", order, args)
	}
	if s.approve.Disabled() || s.reject.Disabled() || s.toRun.Visible() {
		t.Errorf("approve disabled=%v reject disabled=%v show-run visible=%v; want both enabled, no run link",
			s.approve.Disabled(), s.reject.Disabled(), s.toRun.Visible())
	}
}

func TestApproveRunsIt(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, appConfig{run: true})
	marker := filepath.Join(t.TempDir(), "ran")
	prog := script(t, `echo "fixing $IPF_SNAPSHOT_ID"
touch "$1"`)
	setRules(t, a, remediation.Rule{Name: "fix-discovery", Enabled: true, Match: matchFailed,
		Command: []string{prog, marker}, Workdir: t.TempDir()})
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	pump(t, a, v)

	// A real signed webhook creates the proposal.
	fresh := failedDiscovery
	fresh.Time = time.Now()
	ans, err := send.Signed(context.Background(), a.URL(), secret, send.Body(fresh))
	if err != nil || ans.Status != 200 {
		t.Fatalf("send = %+v, %v; want 200", ans, err)
	}
	eventually(t, v, q, "the proposal to be listed", func() bool { return len(v.lists.pending) == 1 })
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("marker exists before approval (err %v)", err)
	}
	v.pendingList.Select(0)
	settle(t, v, q)
	if !uitest.HasLabel(v.pane.propRoot, marker) {
		t.Fatalf("approval screen does not show the argument %q", marker)
	}

	// A double click: the second tap finds the button disabled.
	test.Tap(v.pane.approve)
	if !v.pane.approve.Disabled() {
		t.Errorf("Approve & run still enabled while the approval is in flight")
	}
	test.Tap(v.pane.approve)
	eventually(t, v, q, "the run to succeed", func() bool {
		return v.sel.kind == selRun && v.pane.run.State == store.StateSucceeded
	})
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the program did not run: %v", err)
	}
	runs, err := a.Remediation().Runs(context.Background(), 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %d (%v), want exactly 1 after a double click", len(runs), err)
	}
	if !strings.Contains(v.pane.output.Text, "fixing "+snapA) {
		t.Errorf("output = %q, want the program's line", v.pane.output.Text)
	}
	if !strings.Contains(v.pane.rFacts.Text, "Exit code: 0") {
		t.Errorf("facts = %q, want exit code 0", v.pane.rFacts.Text)
	}
	eventually(t, v, q, "the run in the history", func() bool {
		return len(v.lists.pending) == 0 && len(v.lists.running) == 0 && len(v.lists.history) == 1
	})
	if !uitest.ContainsLabel(w.Content(), "Run 1 · fix-discovery · succeeded (exit 0)") {
		t.Errorf("history row missing; labels: %q", uitest.Labels(w.Content()))
	}
}

func TestRejectDoesNotRun(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, appConfig{run: true})
	marker := filepath.Join(t.TempDir(), "ran")
	setRules(t, a, remediation.Rule{Name: "fix-discovery", Enabled: true, Match: matchFailed,
		Command: []string{script(t, `touch "$1"`), marker}, Workdir: t.TempDir()})
	_, ids := storeEvent(t, a, failedDiscovery, base)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	pump(t, a, v)
	v.pendingList.Select(0)
	settle(t, v, q)

	test.Tap(v.pane.reject)
	dlg := w.Canvas().Overlays().Top()
	if dlg == nil || v.pane.comment == nil {
		t.Fatalf("Reject… opened no dialog")
	}
	test.Type(v.pane.comment, "not during business hours")
	test.Tap(uitest.Button(t, dlg, "Reject"))
	eventually(t, v, q, "the rejection in the history", func() bool {
		return len(v.lists.pending) == 0 && len(v.lists.history) == 1
	})

	p, err := a.Remediation().Proposal(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if p.State != store.StateRejected || p.Comment != "not during business hours" || p.DecidedBy == "" {
		t.Errorf("proposal = state %q comment %q by %q; want rejected with the comment", p.State, p.Comment, p.DecidedBy)
	}
	if !strings.Contains(v.pane.pState.Text, "Rejected by "+p.DecidedBy) ||
		!strings.Contains(v.pane.pState.Text, "Comment: not during business hours") {
		t.Errorf("screen state = %q", v.pane.pState.Text)
	}
	if v.pane.approve.Visible() || v.pane.reject.Visible() {
		t.Errorf("decision buttons still shown for a rejected proposal")
	}
	if !uitest.ContainsLabel(w.Content(), "Proposal 1 · fix-discovery · rejected") {
		t.Errorf("history lacks the rejection; labels: %q", uitest.Labels(w.Content()))
	}
	// The runner polls every second: give it time to (wrongly) run something.
	time.Sleep(1500 * time.Millisecond)
	runs, err := a.Remediation().Runs(context.Background(), 0)
	if err != nil || len(runs) != 0 {
		t.Errorf("runs = %d (%v), want none after a rejection", len(runs), err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the program ran after a rejection (stat: %v)", err)
	}
}

func TestExpiredProposalCannotBeApproved(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a := newApp(t, appConfig{now: clk.Now})
	setRules(t, a, remediation.Rule{Name: "fix-discovery", Enabled: true, Match: matchFailed,
		Command: []string{"/bin/true"}, Expires: time.Hour})
	storeEvent(t, a, failedDiscovery, base)
	v, _, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.UTC))
	v.pendingList.Select(0)
	settle(t, v, q)
	if v.pane.approve.Disabled() {
		t.Fatalf("Approve disabled before expiry")
	}

	// The screen was open while the hour passed; the store still refuses.
	clk.Add(61 * time.Minute)
	test.Tap(v.pane.approve)
	settle(t, v, q)
	if !v.pane.pErr.Visible() || !strings.Contains(v.pane.pErr.Text, "expired") {
		t.Errorf("error = %q (visible %v), want the expiry", v.pane.pErr.Text, v.pane.pErr.Visible())
	}
	if !v.pane.approve.Disabled() {
		t.Errorf("Approve enabled again after an expiry refusal")
	}
	runs, err := a.Remediation().Runs(context.Background(), 0)
	if err != nil || len(runs) != 0 {
		t.Errorf("runs = %d (%v), want none", len(runs), err)
	}
	// The list no longer offers it; the history has it as expired.
	if len(v.lists.pending) != 0 || len(v.lists.history) != 1 || v.lists.history[0].prop.State != store.StateExpired {
		t.Errorf("after expiry: pending %d, history %+v", len(v.lists.pending), v.lists.history)
	}
}

func TestCancelStopsARunningSleep(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, appConfig{run: true})
	setRules(t, a, remediation.Rule{Name: "slow", Enabled: true, Match: matchFailed,
		Command: []string{script(t, "echo started\nsleep 30\necho finished")}, Workdir: t.TempDir()})
	storeEvent(t, a, failedDiscovery, base)
	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	pump(t, a, v)
	v.pendingList.Select(0)
	settle(t, v, q)
	test.Tap(v.pane.approve)

	// Live output arrives while it runs, through the subscription.
	eventually(t, v, q, "live output of the running run", func() bool {
		return v.pane.run.State == store.StateRunning && strings.Contains(v.pane.output.Text, "started")
	})
	if v.liveRun.Load() != v.pane.run.ID {
		t.Errorf("the running run's output is not followed by subscription")
	}
	if len(v.lists.running) != 1 || !v.pane.cancel.Visible() || v.pane.cancel.Disabled() {
		t.Fatalf("running = %d, cancel visible %v disabled %v", len(v.lists.running), v.pane.cancel.Visible(), v.pane.cancel.Disabled())
	}
	started := time.Now()
	test.Tap(v.pane.cancel)
	eventually(t, v, q, "the run to be cancelled", func() bool {
		return v.pane.run.State == store.StateCancelled
	})
	if d := time.Since(started); d > 20*time.Second {
		t.Errorf("cancel took %v; the sleep was not stopped", d)
	}
	r, err := a.Remediation().Run(context.Background(), v.pane.run.ID)
	if err != nil || r.State != store.StateCancelled || strings.Contains(string(r.Output), "finished") {
		t.Errorf("stored run = %q output %q (%v), want cancelled before it finished", r.State, r.Output, err)
	}
	if v.pane.cancel.Visible() {
		t.Errorf("Cancel still shown for an ended run")
	}
}

func TestHistoryShowsExitCodeAndOutput(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, appConfig{run: true})
	setRules(t, a, remediation.Rule{Name: "check", Enabled: true, Match: matchFailed,
		Command: []string{script(t, "echo 'checked 3 devices'\necho 'device r1 unreachable' >&2\nprintf 'colour \\033[31mred\\033[0m\\n'\nexit 3")},
		Workdir: t.TempDir()})
	_, ids := storeEvent(t, a, failedDiscovery, base)
	if _, err := a.Remediation().Approve(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	pump(t, a, v)
	eventually(t, v, q, "the run in the history", func() bool {
		return len(v.lists.history) == 1 && v.lists.history[0].run != nil
	})
	if !uitest.ContainsLabel(w.Content(), "Run 1 · check · failed (exit 3)") {
		t.Errorf("history row lacks state and exit code; labels: %q", uitest.Labels(w.Content()))
	}
	v.historyList.Select(0)
	settle(t, v, q)
	s := v.pane
	for _, want := range []string{"State: failed", "Exit code: 3", "Approved by ", "Duration: "} {
		if !strings.Contains(s.rFacts.Text, want) {
			t.Errorf("facts lack %q:\n%s", want, s.rFacts.Text)
		}
	}
	want := "checked 3 devices\ndevice r1 unreachable\ncolour \\x1b[31mred\\x1b[0m\n"
	if s.output.Text != want {
		t.Errorf("output = %q, want %q", s.output.Text, want)
	}
	if !s.output.TextStyle.Monospace || s.cancel.Visible() {
		t.Errorf("output monospace=%v, cancel visible=%v", s.output.TextStyle.Monospace, s.cancel.Visible())
	}
}

func TestRemediateCreatesAManualProposal(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, appConfig{})
	// A disabled rule that does not even match: by hand it may still be
	// proposed.
	setRules(t, a,
		remediation.Rule{Name: "collect", Enabled: false, Match: remediation.Match{Type: "intent-verification"},
			Command: []string{"/usr/local/bin/collect.sh", "--event", "{{event.id}}"}, Workdir: "/srv"},
		remediation.Rule{Name: "by-snapshot", Enabled: false,
			Command: []string{"/usr/local/bin/x.sh", "{{snapshot.id}}"}, Workdir: "/srv"})
	okEvent, ids := storeEvent(t, a, failedDiscovery, base)
	if len(ids) != 0 {
		t.Fatalf("a disabled rule proposed %v", ids)
	}
	badEvent, _ := storeEvent(t, a, send.Payload{SnapshotID: "$(touch pwned)", Time: base}, base)
	var proposed []int64
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	v.SetOnProposed(func(id int64) { proposed = append(proposed, id) })

	// An unsafe snapshot id: the dialog says why, and offers no Propose.
	v.Remediate(badEvent)
	settle(t, v, q)
	d := v.remediate
	d.ruleSel.SetSelected("by-snapshot (disabled)")
	settle(t, v, q)
	if !d.errText.Visible() || !strings.Contains(d.errText.Text, "not allowed in a command argument") || !d.propose.Disabled() {
		t.Errorf("unsafe value: error %q visible %v, propose disabled %v", d.errText.Text, d.errText.Visible(), d.propose.Disabled())
	}
	test.Tap(d.close)

	v.Remediate(okEvent)
	settle(t, v, q)
	d = v.remediate
	if w.Canvas().Overlays().Top() == nil {
		t.Fatalf("Remediate opened no dialog")
	}
	d.ruleSel.SetSelected("collect (disabled)")
	settle(t, v, q)
	for _, want := range []string{"/usr/local/bin/collect.sh", "--event", "1", "/srv", "24h after it is proposed",
		"This rule is disabled and does not match this event; you can still propose it by hand."} {
		if !uitest.HasLabel(w.Canvas().Overlays().Top(), want) {
			t.Errorf("dialog lacks %q; labels: %q", want, uitest.Labels(w.Canvas().Overlays().Top()))
		}
	}
	if d.propose.Disabled() {
		t.Fatalf("Propose disabled for a valid preview")
	}
	test.Tap(d.propose)
	settle(t, v, q)

	ps, err := a.Remediation().Proposals(context.Background(), store.StatePending, 0)
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending = %d (%v), want 1", len(ps), err)
	}
	p := ps[0]
	if !p.Manual || p.Rule != "collect" || p.EventID != okEvent || strings.Join(p.Argv, " ") != "/usr/local/bin/collect.sh --event 1" {
		t.Errorf("proposal = %+v, want a manual proposal of collect for event %d", p, okEvent)
	}
	if v.sel != (selection{selProposal, p.ID}) || !v.pane.propRoot.Visible() ||
		v.pane.pTitle.Text != "Proposal 1: rule collect (proposed by hand)" {
		t.Errorf("selection = %+v, title %q; want the new proposal on the approval screen", v.sel, v.pane.pTitle.Text)
	}
	if len(proposed) != 1 || proposed[0] != p.ID {
		t.Errorf("onProposed called with %v, want [%d]", proposed, p.ID)
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Errorf("dialog still open after proposing")
	}
	runs, _ := a.Remediation().Runs(context.Background(), 0)
	if len(runs) != 0 {
		t.Errorf("proposing ran something: %d runs", len(runs))
	}
}

func TestChangedFollowsOtherDeciders(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, appConfig{})
	setRules(t, a, remediation.Rule{Name: "fix-discovery", Enabled: true, Match: matchFailed,
		Command: []string{"/bin/true"}})
	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	if len(v.lists.pending) != 0 {
		t.Fatalf("pending before any event")
	}
	_, ids := storeEvent(t, a, failedDiscovery, base)
	v.Changed(app.Change{Kind: app.ProposalChanged, ID: ids[0]})
	settle(t, v, q)
	if len(v.lists.pending) != 1 {
		t.Fatalf("pending = %d after ProposalChanged, want 1", len(v.lists.pending))
	}
	v.pendingList.Select(0)
	settle(t, v, q)

	// The CLI approves it meanwhile: the screen says so and offers no
	// second approval.
	runID, err := a.Remediation().Approve(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	v.Changed(app.Change{Kind: app.ProposalChanged, ID: ids[0]})
	settle(t, v, q)
	s := v.pane
	if s.approve.Visible() || !s.toRun.Visible() || !strings.Contains(s.pState.Text, "Approved by ") {
		t.Errorf("after a foreign approval: approve visible %v, show-run visible %v, state %q",
			s.approve.Visible(), s.toRun.Visible(), s.pState.Text)
	}
	if len(v.lists.pending) != 0 || len(v.lists.running) != 1 {
		t.Errorf("pending %d running %d, want 0 and 1 (queued)", len(v.lists.pending), len(v.lists.running))
	}
	test.Tap(s.toRun)
	settle(t, v, q)
	if v.sel != (selection{selRun, runID}) || !strings.Contains(s.rFacts.Text, "State: queued") {
		t.Errorf("Show run: selection %+v facts %q", v.sel, s.rFacts.Text)
	}
	if v.runningList.Length() != 1 {
		t.Errorf("running list length = %d", v.runningList.Length())
	}
}

func TestGoldenApprovalScreen(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a := newApp(t, appConfig{now: clk.Now})
	setRules(t, a, remediation.Rule{
		Name: "fix-ntp", Enabled: true,
		Match:   remediation.Match{Type: "intent-verification", Action: "calculate", Status: "completed"},
		Command: []string{"/home/me/automation/fix-ntp.sh", "--snapshot", "{{snapshotId}}"},
		Workdir: "/home/me/automation", Env: map[string]string{"ANSIBLE_FORCE_COLOR": "0"},
	})
	storeEvent(t, a, failedDiscovery, base) // no match: no proposal
	storeEvent(t, a, send.Payload{Type: "intent-verification", SnapshotID: snapA, Time: base.Add(2 * time.Minute)}, base.Add(2*time.Minute))
	clk.Add(50 * time.Minute)
	cet := time.FixedZone("CET", 3600)
	v, w, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(cet))
	v.pendingList.Select(0)
	settle(t, v, q)
	test.AssertRendersToMarkup(t, "approval_screen.xml", w.Canvas())
}

// TestOutputOfARunInAnotherProcess follows a run executed by another
// ipfwatch sharing the data directory (`ipfwatch serve`): its output is
// not streamed to this process, so RunOutput changes re-read it.
func TestOutputOfARunInAnotherProcess(t *testing.T) {
	test.NewTempApp(t)
	runner := newApp(t, appConfig{run: true})
	setRules(t, runner, remediation.Rule{Name: "slow", Enabled: true, Match: matchFailed,
		Command: []string{script(t, "echo first\nsleep 30")}, Workdir: t.TempDir()})
	storeEvent(t, runner, failedDiscovery, base)

	// This window's App only reads and decides, like the tray next to a
	// headless server.
	here, err := app.Open(app.Options{DataDir: runner.DataDir(), Sender: &uitest.Recorder{}, NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		here.Shutdown(ctx)
	})
	v, _, q := newView(t, here, viewkit.WithLocation(time.UTC))
	v.pendingList.Select(0)
	settle(t, v, q)
	test.Tap(v.pane.approve)
	settle(t, v, q)
	runID := v.sel.id
	if v.sel.kind != selRun {
		t.Fatalf("selection after approval = %+v, want the run", v.sel)
	}
	// The shell forwards RunOutput (here: announced by polling); each one
	// re-reads the run.
	eventually(t, v, q, "the other process's output", func() bool {
		v.Changed(app.Change{Kind: app.RunChanged, ID: runID})
		v.Changed(app.Change{Kind: app.RunOutput, ID: runID})
		return strings.Contains(v.pane.output.Text, "first")
	})
	if v.liveRun.Load() != 0 {
		t.Errorf("a run of another process is marked as streamed here")
	}
	if v.pane.run.State != store.StateRunning {
		t.Errorf("state = %q, want running", v.pane.run.State)
	}
	if err := here.Remediation().Cancel(runID); err != nil {
		t.Fatal(err)
	}
	eventually(t, v, q, "the cancel to reach the other process", func() bool {
		v.Changed(app.Change{Kind: app.RunChanged, ID: runID})
		return v.pane.run.State == store.StateCancelled
	})
}

// TestFitsTheMainWindow shows two proposals at the main window's size:
// both show in full in the list, the approval screen fits beside it, the
// note at the bottom is in the normal text colour, and the Remediate
// dialog fits in the window too.
func TestFitsTheMainWindow(t *testing.T) {
	test.NewTempApp(t)
	clk := &clock{t: base}
	a := newApp(t, appConfig{now: clk.Now})
	long := "/home/me/automation/a-rather-long-directory-name/and-a-long-script-name.sh"
	setRules(t, a,
		remediation.Rule{Name: "fix-discovery", Enabled: true, Match: matchFailed,
			Command: []string{long, "--snapshot", "{{snapshotId}}", strings.Repeat("x", 120)}, Workdir: "/tmp",
			Env: map[string]string{"NTP_SERVERS": strings.Repeat("10.0.0.1,", 20)}},
		remediation.Rule{Name: "rediscover-unreachable", Enabled: true, Match: matchFailed,
			Command: []string{"/bin/true"}, Workdir: "/tmp"})
	eventID, ids := storeEvent(t, a, failedDiscovery, base)
	if len(ids) != 2 {
		t.Fatalf("proposals = %v, want two", ids)
	}
	v, w, q := newView(t, a, viewkit.WithNow(clk.Now), viewkit.WithLocation(time.UTC))
	w.SetContent(uitest.InShell("Approvals", theme.ConfirmIcon(), v.Content()))
	w.Resize(uitest.MainWindow)
	v.pendingList.Select(0)
	settle(t, v, q)

	room := uitest.MainWindow.Subtract(fyne.NewSquareSize(2 * theme.Padding()))
	if min := w.Content().MinSize(); min.Width > room.Width || min.Height > room.Height {
		t.Errorf("the view needs %v, more than the window's %v", min, room)
	}
	rows := 2 * (newRow().MinSize().Height + theme.SeparatorThicknessSize())
	if got := v.pendingList.Size().Height; got < rows {
		t.Errorf("the pending list is %.0f high, its two proposals need %.0f", got, rows)
	}
	if v.info.Importance != widget.MediumImportance {
		t.Errorf("the note at the bottom has importance %v, want the normal text colour", v.info.Importance)
	}

	v.Remediate(eventID)
	settle(t, v, q)
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Remediate opened no dialog")
	}
	if got := top.MinSize(); got.Width > uitest.MainWindow.Width || got.Height > uitest.MainWindow.Height {
		t.Errorf("the Remediate dialog needs %v, more than the window's %v", got, uitest.MainWindow)
	}
}
