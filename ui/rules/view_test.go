package rules

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strconv"
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
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

var base = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

// fields is what a test types into the rule form.
type fields struct {
	name, typ, action, status, requester string
	test                                 bool
	command, workdir, env                string
	timeout, expires                     string
}

func fill(v *View, f fields) {
	fm := v.form
	fm.name.SetText(f.name)
	fm.mType.SetText(f.typ)
	fm.mAction.SetText(f.action)
	fm.mStatus.SetText(f.status)
	fm.mRequester.SetText(f.requester)
	fm.mTest.SetChecked(f.test)
	fm.command.SetText(f.command)
	fm.workdir.SetText(f.workdir)
	fm.env.SetText(f.env)
	fm.timeout.SetText(f.timeout)
	fm.expires.SetText(f.expires)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// selectRule selects the table row of the rule named name.
func selectRule(t *testing.T, v *View, name string) {
	t.Helper()
	i := v.index(name)
	if i < 0 {
		t.Fatalf("rule %q not shown; rules %+v", name, v.rules)
	}
	v.table.Select(widget.TableCellID{Row: i, Col: 0})
}

func TestAddRuleThroughTheForm(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	v, w, q := newView(t, a)
	path := a.Remediation().RulesPath()
	// The example file written on first start holds one disabled rule.
	if len(v.rules) != 1 || v.rules[0].Name != "fix-ntp" || v.rules[0].Enabled {
		t.Fatalf("rules at start = %+v, want the disabled example", v.rules)
	}
	if !uitest.ContainsLabel(w.Content(), "Rules file: "+path) {
		t.Errorf("rules path not shown; labels: %q", uitest.Labels(w.Content()))
	}

	test.Tap(v.addBtn)
	if !v.form.root.Visible() || v.form.title.Text != "New rule" || !v.form.enabled.Checked {
		t.Fatalf("Add… did not open an empty, enabled rule form")
	}
	fill(v, fields{name: "restart-collector", typ: "snapshot", action: "discover", status: "failed",
		requester: "cron", command: "/home/me/bin/restart.sh\n--snapshot\n{{snapshotId}}\ntwo words",
		workdir: "/home/me", env: "SITE=lab\nANSIBLE_FORCE_COLOR=0", timeout: "90s", expires: "2h"})
	test.Tap(v.form.saveBtn)
	settle(t, v, q)

	if v.form.errText.Visible() {
		t.Fatalf("save refused: %s", v.form.errText.Text)
	}
	on, err := remediation.LoadRules(path)
	if err != nil {
		t.Fatalf("file unreadable after save: %v", err)
	}
	want := remediation.Rule{Name: "restart-collector", Enabled: true,
		Match:   remediation.Match{Type: "snapshot", Action: "discover", Status: "failed", Requester: "cron"},
		Command: []string{"/home/me/bin/restart.sh", "--snapshot", "{{snapshotId}}", "two words"},
		Workdir: "/home/me", Env: map[string]string{"SITE": "lab", "ANSIBLE_FORCE_COLOR": "0"},
		Timeout: 90 * time.Second, Expires: 2 * time.Hour}
	if len(on) != 2 || on[0].Name != "fix-ntp" || !reflect.DeepEqual(on[1], want) {
		t.Errorf("file holds %+v\nwant fix-ntp and %+v", on, want)
	}
	if !strings.Contains(string(readFile(t, path)), "name: restart-collector") {
		t.Errorf("file does not name the rule:\n%s", readFile(t, path))
	}
	if v.form.root.Visible() || v.selected != "restart-collector" {
		t.Errorf("after save: form visible %v, selected %q", v.form.root.Visible(), v.selected)
	}
	for _, s := range []string{"restart-collector", "enabled", "type=snapshot action=discover status=failed requester=cron",
		`/home/me/bin/restart.sh --snapshot {{snapshotId}} two words`} {
		if !uitest.HasLabel(v.table, s) {
			t.Errorf("table lacks %q; labels: %q", s, uitest.Labels(v.table))
		}
	}
	if !strings.HasPrefix(v.status.Text, "Saved rule restart-collector") {
		t.Errorf("status = %q", v.status.Text)
	}
}

func TestInvalidInputSavesNothing(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	v, _, q := newView(t, a)
	path := a.Remediation().RulesPath()
	good := fields{name: "ok", command: "/bin/true", workdir: "/tmp"}
	tests := []struct {
		name string
		edit func(f *fields)
		want string
	}{
		{"empty command", func(f *fields) { f.command = "\n\n" }, "command: enter the program"},
		{"bad timeout", func(f *fields) { f.timeout = "10 minutes" }, `timeout: "10 minutes" is not a duration`},
		{"negative expires", func(f *fields) { f.expires = "-1h" }, `expires: "-1h" must be positive`},
		{"env without =", func(f *fields) { f.env = "SITE=lab\nnonsense" }, `environment, line 2: "nonsense" is not KEY=VALUE`},
		{"reserved env", func(f *fields) { f.env = "IPF_SNAPSHOT_ID=x" }, "reserved for ipfwatch"},
		{"no name", func(f *fields) { f.name = " " }, "name: enter a name"},
		{"bad name", func(f *fields) { f.name = "fix ntp" }, `rule name "fix ntp"`},
		{"duplicate name", func(f *fields) { f.name = "fix-ntp" }, `"fix-ntp" is used twice`},
		{"relative workdir", func(f *fields) { f.workdir = "automation" }, "must be an absolute path"},
		{"unknown placeholder", func(f *fields) { f.command = "/bin/echo\n{{snapshot.name}}" }, "unknown placeholder {{snapshot.name}}"},
		{"placeholder in program", func(f *fields) { f.command = "/bin/{{action}}" }, "may not contain placeholders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := readFile(t, path)
			test.Tap(v.addBtn)
			f := good
			tt.edit(&f)
			fill(v, f)
			test.Tap(v.form.saveBtn)
			settle(t, v, q)
			if !v.form.errText.Visible() || !strings.Contains(v.form.errText.Text, tt.want) {
				t.Errorf("error = %q (visible %v), want it to say %q", v.form.errText.Text, v.form.errText.Visible(), tt.want)
			}
			if !v.form.root.Visible() {
				t.Errorf("the form closed on invalid input")
			}
			if after := readFile(t, path); !bytes.Equal(before, after) {
				t.Errorf("the file changed:\n%s", after)
			}
			if len(a.Remediation().Rules()) != 1 {
				t.Errorf("rules in force = %+v", a.Remediation().Rules())
			}
		})
	}
}

func TestEditToggleDelete(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	v, w, q := newView(t, a)
	path := a.Remediation().RulesPath()
	selectRule(t, v, "fix-ntp")
	if v.toggleBtn.Text != "Enable" || v.editBtn.Disabled() {
		t.Fatalf("toggle = %q, edit disabled %v for the disabled example", v.toggleBtn.Text, v.editBtn.Disabled())
	}

	test.Tap(v.editBtn)
	if v.form.name.Text != "fix-ntp" || v.form.command.Text != "/usr/local/bin/fix-ntp.sh\n--snapshot\n{{snapshotId}}" ||
		v.form.env.Text != "ANSIBLE_FORCE_COLOR=0" || v.form.timeout.Text != "10m" || v.form.expires.Text != "24h" {
		t.Fatalf("form not filled from the rule: name %q command %q env %q timeout %q expires %q",
			v.form.name.Text, v.form.command.Text, v.form.env.Text, v.form.timeout.Text, v.form.expires.Text)
	}
	v.form.name.SetText("fix-ntp-2")
	v.form.command.SetText("/opt/fix-ntp.sh\n{{snapshot.id}}")
	test.Tap(v.form.saveBtn)
	settle(t, v, q)
	on, err := remediation.LoadRules(path)
	if err != nil || len(on) != 1 || on[0].Name != "fix-ntp-2" || strings.Join(on[0].Command, " ") != "/opt/fix-ntp.sh {{snapshot.id}}" {
		t.Fatalf("after edit the file holds %+v (%v)", on, err)
	}

	test.Tap(v.toggleBtn)
	settle(t, v, q)
	if on, _ := remediation.LoadRules(path); len(on) != 1 || !on[0].Enabled {
		t.Errorf("after Enable the file holds %+v", on)
	}
	if v.toggleBtn.Text != "Disable" || !uitest.HasLabel(v.table, "enabled") {
		t.Errorf("toggle now %q; table labels %q", v.toggleBtn.Text, uitest.Labels(v.table))
	}

	test.Tap(v.deleteBtn)
	dlg := w.Canvas().Overlays().Top()
	if dlg == nil {
		t.Fatalf("Delete… asked nothing")
	}
	test.Tap(uitest.Button(t, dlg, "Delete"))
	settle(t, v, q)
	if on, err := remediation.LoadRules(path); err != nil || len(on) != 0 {
		t.Errorf("after delete the file holds %+v (%v)", on, err)
	}
	if !v.empty.Visible() || v.selected != "" || !v.editBtn.Disabled() {
		t.Errorf("after delete: empty note %v, selected %q, edit disabled %v", v.empty.Visible(), v.selected, v.editBtn.Disabled())
	}
}

func TestReloadAndBannerOnInvalidFile(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	v, w, q := newView(t, a)
	m := a.Remediation()
	path := m.RulesPath()

	// A teammate's valid edit on disk.
	valid := "rules:\n  - name: from-git\n    match: {status: failed}\n    command: [/bin/true]\n"
	if err := os.WriteFile(path, []byte(valid), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.ReloadRules(); err != nil {
		t.Fatal(err)
	}
	v.Changed(app.Change{Kind: app.RulesChanged})
	settle(t, v, q)
	if len(v.rules) != 1 || v.rules[0].Name != "from-git" || v.banner.Visible() {
		t.Fatalf("after reload: rules %+v, banner visible %v", v.rules, v.banner.Visible())
	}

	// A broken one: the line is named, the last valid rules stay.
	broken := "rules:\n  - name: from-git\n    match: {status: failed}\n    command: [/bin/true]\n    requestor: cron\n"
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.ReloadRules(); err == nil {
		t.Fatal("the broken file loaded")
	}
	v.Changed(app.Change{Kind: app.RulesChanged})
	settle(t, v, q)
	if !v.banner.Visible() || !strings.Contains(v.banner.Text, "line 5") || !strings.Contains(v.banner.Text, "requestor") ||
		!strings.Contains(v.banner.Text, "last valid rules stay in force") {
		t.Errorf("banner = %q (visible %v)", v.banner.Text, v.banner.Visible())
	}
	if len(v.rules) != 1 || v.rules[0].Name != "from-git" || !uitest.HasLabel(w.Content(), "from-git") {
		t.Errorf("the last valid rules are not listed: %+v", v.rules)
	}

	// Other changes leave the view alone.
	v.Changed(app.Change{Kind: app.EventStored, ID: 1})
	if v.Pending.Load() != 0 {
		t.Errorf("an EventStored change queued work")
	}
}

func TestTestAgainstEvent(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	m := a.Remediation()
	if err := m.SetRules([]remediation.Rule{{Name: "fix-discovery", Enabled: true,
		Match:   remediation.Match{Type: "snapshot", Status: "failed"},
		Command: []string{"/opt/fix.sh", "--snapshot", "{{snapshotId}}", "--event", "{{event.id}}"},
		Workdir: "/opt", Env: map[string]string{"MODE": "{{status}}"},
		Timeout: 10 * time.Minute, Expires: 24 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	const snap = "11111111-aaaa-4000-8000-000000000001"
	failed := insert(t, a, send.Payload{Status: "failed", SnapshotID: snap, SnapshotName: "site-A", Time: base}, base)
	completed := insert(t, a, send.Payload{Status: "completed", SnapshotID: snap, Time: base}, base.Add(time.Minute))
	unsafe := insert(t, a, send.Payload{Status: "failed", SnapshotID: "x; rm -rf ~", Time: base}, base.Add(2*time.Minute))
	testHook := insert(t, a, send.Payload{Status: "failed", Test: true, Time: base}, base.Add(3*time.Minute))
	before := readFile(t, m.RulesPath())

	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	selectRule(t, v, "fix-discovery")
	test.Tap(v.testBtn)
	settle(t, v, q)
	tr := v.tester
	if !tr.root.Visible() || len(tr.eventSel.Options) != 4 {
		t.Fatalf("tester visible %v with %d events, want 4", tr.root.Visible(), len(tr.eventSel.Options))
	}
	if got := tr.eventSel.Options[3]; got != "#1  2025-03-04 09:00:00  Snapshot discover failed  site-A" {
		t.Errorf("oldest event listed as %q", got)
	}

	// Chosen from the list: a matching event shows the argv.
	tr.eventSel.SetSelected(tr.eventSel.Options[3])
	settle(t, v, q)
	if !strings.Contains(tr.verdict.Text, "Event "+itoa(failed)+" (Snapshot discover failed) matches. The proposal would run:") {
		t.Errorf("verdict = %q", tr.verdict.Text)
	}
	for _, want := range []string{"/opt/fix.sh", "--snapshot", snap, "--event", "MODE=failed", "/opt", "24h after it is proposed"} {
		if !uitest.HasLabel(tr.plan, want) {
			t.Errorf("plan lacks %q; labels: %q", want, uitest.Labels(tr.plan))
		}
	}

	// Typed ids: a reason for each event that would get nothing.
	tests := []struct {
		id   string
		want string
	}{
		{itoa(completed), "would get no proposal from this rule: its status is completed, the rule wants failed"},
		{itoa(unsafe), `matches, but would get no proposal: rule "fix-discovery", event 3: {{snapshotId}} = "x; rm -rf ~": value not allowed in a command argument`},
		{itoa(testHook), "it is a test webhook and the rule does not match test webhooks"},
		{"99", "There is no event 99."},
		{"abc", "Enter an event id"},
	}
	for _, tt := range tests {
		tr.idEntry.SetText(tt.id)
		test.Tap(tr.testBtn)
		settle(t, v, q)
		if !strings.Contains(tr.verdict.Text, tt.want) {
			t.Errorf("event %s: verdict = %q, want %q", tt.id, tr.verdict.Text, tt.want)
		}
		if len(tr.plan.Objects) != 0 {
			t.Errorf("event %s: a plan is shown for an event that gets none", tt.id)
		}
	}

	// Nothing was proposed or written.
	ps, err := m.Proposals(context.Background(), "", 0)
	if err != nil || len(ps) != 0 {
		t.Errorf("proposals = %d (%v), want none", len(ps), err)
	}
	if after := readFile(t, m.RulesPath()); !bytes.Equal(before, after) {
		t.Errorf("testing changed the rules file")
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestMismatchAgreesWithMatches(t *testing.T) {
	a := newApp(t)
	evs := []send.Payload{
		{Status: "failed"}, {Status: "completed"}, {Type: "intent-verification"},
		{Action: "load", Status: "failed"}, {Status: "failed", Test: true}, {Requester: "cron"},
	}
	matches := []remediation.Match{
		{}, {Status: "failed"}, {Type: "snapshot", Action: "discover"}, {Type: "intent-verification", Requester: "snapshot:discover"},
		{Test: true}, {Status: "failed", Test: true}, {Requester: "cron"},
	}
	for _, p := range evs {
		p.Time = base
		id := insert(t, a, p, base)
		ev, err := a.Store().GetEvent(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, mt := range matches {
			r := remediation.Rule{Match: mt}
			if got := mismatch(mt, ev) == ""; got != r.Matches(ev) {
				t.Errorf("event %+v, match %+v: mismatch says %v, Matches says %v", p, mt, got, r.Matches(ev))
			}
		}
	}
}

func TestGoldenRulesList(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	m := a.Remediation()
	if err := m.SetRules([]remediation.Rule{
		{Name: "fix-ntp", Enabled: true,
			Match: remediation.Match{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover",
				Intent: &remediation.IntentMatch{Check: "NTP*"}},
			Command: []string{"/home/me/automation/fix-ntp.sh", "--snapshot", "{{snapshotId}}", "--check", "{{check.id}}"},
			Workdir: "/home/me/automation", Timeout: 10 * time.Minute, Expires: 24 * time.Hour},
		{Name: "collect-logs", Enabled: false, Match: remediation.Match{Status: "failed"},
			Command: []string{"/home/me/bin/collect logs.sh", "{{event.id}}"}, Timeout: time.Minute, Expires: time.Hour},
	}); err != nil {
		t.Fatal(err)
	}
	// A hand edit that breaks the file: the banner names the line.
	if err := os.WriteFile(m.RulesPath(), []byte("rules:\n  - name: x\n    command: /bin/true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.ReloadRules(); err == nil {
		t.Fatal("the broken file loaded")
	}
	v, w, q := newView(t, a)
	// The real path is a fresh temporary directory; the golden file needs
	// a fixed one.
	v.path.SetText("Rules file: /home/me/.local/share/ipfwatch/remediations.yaml (reloaded when it changes on disk)")
	selectRule(t, v, "fix-ntp")
	settle(t, v, q)
	test.AssertRendersToMarkup(t, "rules_list.xml", w.Canvas())

	// The form of a rule on intent checks.
	test.Tap(v.editBtn)
	settle(t, v, q)
	test.AssertRendersToMarkup(t, "rules_form_intent.xml", w.Canvas())
}

// TestFitsTheMainWindow opens the form and the tester at the main window's
// size: neither may need more room than the window has (Fyne would grow
// the window), and with neither open the table shows every column.
func TestFitsTheMainWindow(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	const snap = "b2d6e3a1-5f4c-4b8e-a9d7-0e1f2a3b4c5d"
	if err := a.Remediation().SetRules([]remediation.Rule{{Name: "fix-discovery", Enabled: true,
		Match:   remediation.Match{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover"},
		Command: []string{"/home/me/automation/a-rather-long-directory-name/fix-ntp.sh", "--snapshot", "{{snapshotId}}", "--event", "{{event.id}}"},
		Workdir: "/home/me/automation/a-rather-long-directory-name",
		Env:     map[string]string{"NTP_SERVERS": "10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6,10.0.0.7"},
		Timeout: 10 * time.Minute, Expires: 24 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	insert(t, a, send.Payload{Type: "intent-verification", SnapshotID: snap, SnapshotName: "DC2 weekly discovery of every site",
		Requester: "snapshot:discover", Time: base}, base)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	w.SetContent(uitest.InShell("Rules", theme.DocumentIcon(), v.Content()))
	w.Resize(uitest.MainWindow)
	selectRule(t, v, "fix-discovery")
	room := uitest.MainWindow.Subtract(fyne.NewSquareSize(2 * theme.Padding()))
	fits := func(what string) {
		t.Helper()
		if min := w.Content().MinSize(); min.Width > room.Width || min.Height > room.Height {
			t.Errorf("%s: the view needs %v, more than the window's %v", what, min, room)
		}
	}

	fits("rule selected")
	// The table puts the theme's padding after each column.
	var columnsWidth float32
	for _, cw := range columnWidths {
		columnsWidth += cw + theme.Padding()
	}
	if got := v.table.Size().Width; got < columnsWidth || v.right.Visible() {
		t.Errorf("with nothing open the table is %.0f wide (right pane shown %v), its columns need %.0f",
			got, v.right.Visible(), columnsWidth)
	}

	test.Tap(v.editBtn)
	if !v.form.root.Visible() || !v.right.Visible() || v.hint.Visible() {
		t.Fatalf("Edit… did not open the form beside the table")
	}
	fits("form open")
	test.Tap(v.form.cancelBtn)
	if v.right.Visible() || !v.hint.Visible() {
		t.Errorf("Cancel left the right pane open")
	}

	test.Tap(v.testBtn)
	settle(t, v, q)
	v.tester.eventSel.SetSelected(v.tester.eventSel.Options[0])
	settle(t, v, q)
	if !strings.Contains(v.tester.verdict.Text, "matches") || len(v.tester.plan.Objects) == 0 {
		t.Fatalf("tester shows no plan: %q", v.tester.verdict.Text)
	}
	fits("tester showing a plan")
}
