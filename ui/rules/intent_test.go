package rules

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

func TestIntentConditionThroughTheForm(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t)
	v, _, q := newView(t, a)
	path := a.Remediation().RulesPath()

	test.Tap(v.addBtn)
	in := v.form.intent
	if in.on.Checked || !in.check.Disabled() || !in.color.Disabled() || !in.min.Disabled() || in.color.Selected != "red" {
		t.Fatalf("a new rule has an intent condition (on %t) or its fields are editable", in.on.Checked)
	}
	fill(v, fields{name: "fix-ntp-sources", typ: "intent-verification", command: "/opt/fix-ntp.sh\n{{check.id}}", workdir: "/opt"})
	test.Tap(in.on)
	if in.check.Disabled() || in.color.Disabled() || in.min.Disabled() {
		t.Fatal("turning the condition on left its fields disabled")
	}
	in.check.SetText("NTP*")
	in.color.SetSelected("amber")

	// The minimum must be a whole number of at least 1.
	for _, bad := range []string{"0", "two", "-3"} {
		before := readFile(t, path)
		in.min.SetText(bad)
		test.Tap(v.form.saveBtn)
		settle(t, v, q)
		if !strings.Contains(v.form.errText.Text, "intent rows: \""+bad+"\" is not a whole number of at least 1") {
			t.Errorf("min %q: error %q", bad, v.form.errText.Text)
		}
		if string(readFile(t, path)) != string(before) {
			t.Errorf("min %q: the file changed", bad)
		}
	}
	in.min.SetText("2")
	test.Tap(v.form.saveBtn)
	settle(t, v, q)
	if v.form.errText.Visible() {
		t.Fatalf("save refused: %s", v.form.errText.Text)
	}
	on, err := remediation.LoadRules(path)
	if err != nil || len(on) != 2 {
		t.Fatalf("file holds %+v, %v", on, err)
	}
	if want := (&remediation.IntentMatch{Check: "NTP*", Color: "amber", Min: 2}); !reflect.DeepEqual(on[1].Match.Intent, want) {
		t.Errorf("intent saved as %+v, want %+v", on[1].Match.Intent, want)
	}
	if !uitest.HasLabel(v.table, "type=intent-verification, intent checks NTP* with at least 2 amber rows") {
		t.Errorf("the Match column does not say it; labels: %q", uitest.Labels(v.table))
	}

	// Editing shows the condition; turning it off removes it.
	selectRule(t, v, "fix-ntp-sources")
	test.Tap(v.editBtn)
	if !in.on.Checked || in.check.Text != "NTP*" || in.color.Selected != "amber" || in.min.Text != "2" {
		t.Errorf("edit form shows on %t, %q, %q, %q", in.on.Checked, in.check.Text, in.color.Selected, in.min.Text)
	}
	test.Tap(in.on)
	test.Tap(v.form.saveBtn)
	settle(t, v, q)
	// {{check.id}} is only known for a check.
	if want := "{{check.id}} needs an intent condition"; !strings.Contains(v.form.errText.Text, want) {
		t.Errorf("error = %q, want %q", v.form.errText.Text, want)
	}
	v.form.command.SetText("/opt/fix-ntp.sh")
	test.Tap(v.form.saveBtn)
	settle(t, v, q)
	if v.form.errText.Visible() {
		t.Fatalf("save refused: %s", v.form.errText.Text)
	}
	if r := a.Remediation().Rules(); len(r) != 2 || r[1].Match.Intent != nil {
		t.Errorf("after turning it off: %+v", r)
	}
}

func TestIntentSummary(t *testing.T) {
	tests := []struct {
		m    remediation.IntentMatch
		want string
	}{
		{remediation.IntentMatch{}, "any intent check with at least 1 red row"},
		{remediation.IntentMatch{Check: "NTP*", Color: "amber", Min: 3}, "intent checks NTP* with at least 3 amber rows"},
		{remediation.IntentMatch{Check: "a b\n"}, `intent checks "a b\n" with at least 1 red row`},
	}
	for _, tt := range tests {
		if got := intentSummary(tt.m); got != tt.want {
			t.Errorf("intentSummary(%+v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

// TestTestAgainstAnEnrichedEvent tries a rule on intent checks against
// events looked up in a fake IP Fabric: which checks would get a proposal,
// or why none would.
func TestTestAgainstAnEnrichedEvent(t *testing.T) {
	test.NewTempApp(t)
	f := uitest.StartIPF(t)
	a := uitest.NewApp(t, uitest.AppOptions{IPF: f})
	rule := func(name string, in remediation.IntentMatch) remediation.Rule {
		return remediation.Rule{Name: name, Enabled: true, Match: remediation.Match{Type: "intent-verification", Intent: &in},
			Command: []string{"/opt/fix.sh", "--check", "{{check.id}}"}, Workdir: "/opt", Timeout: time.Minute, Expires: time.Hour}
	}
	if err := a.Remediation().SetRules([]remediation.Rule{
		rule("red", remediation.IntentMatch{}),
		rule("ntp", remediation.IntentMatch{Check: "NTP*", Min: 25}),
		rule("too-many", remediation.IntentMatch{Check: "NTP*", Min: 26}),
	}); err != nil {
		t.Fatal(err)
	}
	intent := func(snap string) send.Payload {
		return send.Payload{Type: "intent-verification", SnapshotID: snap, Time: base}
	}
	looked := insert(t, a, intent(uitest.IPFSnapshot), base)
	uitest.LookUp(t, a, looked)
	notYet := insert(t, a, intent("22222222-bbbb-4000-8000-000000000002"), base)
	failed := insert(t, a, intent("33333333-cccc-4000-8000-000000000003"), base)
	f.SetFault(ipffake.RouteSnapshot, ipffake.Fault{Status: 500})
	uitest.LookUp(t, a, failed)

	proposals := func() int {
		ps, err := a.Remediation().Proposals(context.Background(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	// The lookup of event 1 proposed: rule red for two checks, ntp for one.
	before := proposals()
	if before != 3 {
		t.Errorf("proposals after the lookups = %d, want 3", before)
	}
	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	tests := []struct {
		rule string
		id   int64
		want []string
		plan bool
	}{
		{"red", looked, []string{"Event 1 (Intent verification calculate completed) matches. 2 of its 30 intent checks are among any intent check with at least 1 red row, and each would get a proposal of its own: NTP sources: 25 red; DNS resolvers: 2 red, 1 amber. The proposal for \"NTP sources\" would run:"}, true},
		{"ntp", looked, []string{"1 of its 30 intent checks is among intent checks NTP* with at least 25 red rows"}, true},
		{"too-many", looked, []string{"would get no proposal from this rule: none of its 30 intent checks is among intent checks NTP* with at least 26 red rows."}, false},
		{"red", notYet, []string{"matches, but the rule waits for its intent checks from IP Fabric's API, and has none yet: Not looked up in IP Fabric's API"}, false},
		{"red", failed, []string{"has none yet: The lookup in IP Fabric's API failed (1 attempt): ", "500"}, false},
	}
	for _, tt := range tests {
		selectRule(t, v, tt.rule)
		test.Tap(v.testBtn)
		settle(t, v, q)
		v.tester.idEntry.SetText(itoa(tt.id))
		test.Tap(v.tester.testBtn)
		settle(t, v, q)
		for _, w := range tt.want {
			if !strings.Contains(v.tester.verdict.Text, w) {
				t.Errorf("rule %s, event %d: verdict %q lacks %q", tt.rule, tt.id, v.tester.verdict.Text, w)
			}
		}
		if got := len(v.tester.plan.Objects) > 0; got != tt.plan {
			t.Errorf("rule %s, event %d: plan shown %t, want %t", tt.rule, tt.id, got, tt.plan)
		}
		// The plan is the first check's: {{check.id}} filled, and the
		// check's variables named.
		if tt.plan && (!uitest.HasLabel(v.tester.plan, "1001") || !uitest.ContainsLabel(v.tester.plan, "IPF_CHECK_ROWS_FILE")) {
			t.Errorf("rule %s: plan labels %q", tt.rule, uitest.Labels(v.tester.plan))
		}
	}
	if after := proposals(); after != before {
		t.Errorf("testing made %d proposals", after-before)
	}
}
