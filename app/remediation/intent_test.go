//go:build linux

package remediation

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfwatch/ipfwatch/app/ipf"
)

var intentChecks = []ipf.Check{
	{ID: "101", Name: "NTP sources", Red: 12, Green: 30},
	{ID: "102", Name: "NTP servers", Red: 0, Amber: 3},
	{ID: "103", Name: "DNS resolvers", Red: 2},
}

// fetched is a RowsFetcher that answers from a table and records what it
// was asked.
type fetched struct{ asked []string }

func (f *fetched) rows(_ context.Context, snap string, k ipf.Check, c ipf.Color, limit int) (ipf.Rows, error) {
	f.asked = append(f.asked, snap+"/"+k.ID+"/"+c.String())
	return ipf.Rows{Total: 2, Raw: []map[string]any{{"hostname": "r1", "reachable": map[string]any{"data": "no", "severity": 30}}, {"hostname": "r2"}},
		Flat: []ipf.Row{{Hostname: "r1", Site: "HQ", Value: "no"}, {Hostname: "r2", Site: "BRANCH", Value: "no"}}}, nil
}

// TestIntentRuleProposesPerMatchingCheck: a rule with an intent condition
// waits for the checks (OnEvent proposes nothing), then proposes once per
// check that meets it, with the failing rows; the run gets the check in
// its environment and the rows in a file only the user can read, removed
// afterwards; a second enrichment of the same event proposes nothing new.
func TestIntentRuleProposesPerMatchingCheck(t *testing.T) {
	e := newEnv(t)
	dump := e.script("dump.sh", `
printf '%s|%s|%s|%s|%s\n' "$1" "$IPF_CHECK_ID" "$IPF_CHECK_NAME" "$IPF_CHECK_COLOR" "$IPF_CHECK_COUNT" > check.out
cat "$IPF_CHECK_ROWS_FILE" > rows.out
stat -c %a "$IPF_CHECK_ROWS_FILE" > rowsperm.out
printf '%s' "$IPF_CHECK_ROWS_FILE" > rowspath.out
`)
	r := e.rule("fix-ntp", dump, "{{check.id}}")
	r.Match.Intent = &IntentMatch{Check: "NTP*"}
	m := e.manager([]Rule{r}, nil)
	ev := e.event(nil)
	ctx := context.Background()
	if ids, err := m.OnEvent(ctx, ev); err != nil || len(ids) != 0 {
		t.Fatalf("OnEvent proposed %v (%v) before the checks came", ids, err)
	}
	rows := &fetched{}
	ids, err := m.OnEnriched(ctx, ev, intentChecks, nil, rows.rows)
	if err != nil || len(ids) != 1 {
		t.Fatalf("OnEnriched: %v, %v; want one proposal (NTP sources red 12; NTP servers has no red)", ids, err)
	}
	if len(rows.asked) != 1 || rows.asked[0] != ev.SnapshotID+"/101/red" {
		t.Errorf("rows asked for %v", rows.asked)
	}
	if again, _ := m.OnEnriched(ctx, ev, intentChecks, nil, rows.rows); len(again) != 0 {
		t.Errorf("the same checks again proposed %v", again)
	}
	p, err := m.Proposal(ctx, ids[0])
	if err != nil || p.Check == nil || p.Check.ID != "101" || p.Check.Name != "NTP sources" || p.Check.Color != "red" ||
		p.Check.Count != 12 || len(p.Argv) != 2 || p.Argv[1] != "101" {
		t.Fatalf("proposal %+v check %+v, %v", p, p.Check, err)
	}
	kept, err := CheckRows(p.Check)
	if err != nil || len(kept) != 2 || kept[0].Hostname != "r1" || kept[0].Site != "HQ" || kept[0].Value != "no" {
		t.Fatalf("kept rows %+v, %v", kept, err)
	}
	runID, err := m.Approve(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RunNow(ctx, runID, nil); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(e.work, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if got := read("check.out"); got != "101|101|NTP sources|red|12" {
		t.Errorf("the program saw %q", got)
	}
	var fileRows []CheckRow
	if err := json.Unmarshal([]byte(read("rows.out")), &fileRows); err != nil || len(fileRows) != 2 || fileRows[1].Hostname != "r2" {
		t.Errorf("IPF_CHECK_ROWS_FILE held %q (%v)", read("rows.out"), err)
	}
	if perm := read("rowsperm.out"); perm != "600" {
		t.Errorf("rows file mode %s, want 600", perm)
	}
	if _, err := os.Stat(read("rowspath.out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rows file left behind: %v", err)
	}
}

// TestIntentRuleWithoutMatchOrWithFailedEnrichment: no check meets the
// condition, nothing is proposed; a failed enrichment proposes nothing and
// is listed for the Approvals view until the checks come.
func TestIntentRuleWithoutMatchOrWithFailedEnrichment(t *testing.T) {
	e := newEnv(t)
	r := e.rule("fix-bgp", "/bin/true")
	r.Match.Intent = &IntentMatch{Check: "BGP*", Color: "red", Min: 1}
	m := e.manager([]Rule{r}, nil)
	ev := e.event(nil)
	ctx := context.Background()
	if ids, err := m.OnEnriched(ctx, ev, intentChecks, nil, nil); err != nil || len(ids) != 0 {
		t.Errorf("no BGP check, yet proposed %v (%v)", ids, err)
	}
	amber := r
	amber.Name = "watch-ntp"
	amber.Match.Intent = &IntentMatch{Check: "102", Color: "amber", Min: 3}
	if err := m.SetRules([]Rule{r, amber}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := m.OnEnriched(ctx, ev, intentChecks, nil, nil); len(ids) != 1 {
		t.Errorf("a check by id with 3 amber: %v", ids)
	}
	other := e.event(nil)
	if ids, _ := m.OnEnriched(ctx, other, nil, errors.New("IP Fabric unreachable"), nil); len(ids) != 0 {
		t.Errorf("a failed enrichment proposed %v", ids)
	}
	waiting := m.WaitingOnIPF()
	if len(waiting) != 2 || waiting[0].EventID != other.ID || !strings.Contains(waiting[0].Reason, "unreachable") {
		t.Errorf("WaitingOnIPF = %+v", waiting)
	}
	m.OnEnriched(ctx, other, intentChecks, nil, nil)
	if w := m.WaitingOnIPF(); len(w) != 0 {
		t.Errorf("still waiting after the checks came: %+v", w)
	}
}

// TestIntentConditionInTheRulesFile: the YAML form, its defaults, its
// errors, and {{check.id}} only with an intent condition.
func TestIntentConditionInTheRulesFile(t *testing.T) {
	rules, err := parseRules([]byte(`rules:
  - name: fix-ntp
    match: {type: intent-verification, intent: {check: "NTP*"}}
    command: [/bin/fix, "{{check.id}}"]
`))
	if err != nil || len(rules) != 1 || rules[0].Match.Intent == nil {
		t.Fatalf("%+v, %v", rules, err)
	}
	in := rules[0].Match.Intent
	if in.ColorName() != "red" || in.MinRows() != 1 {
		t.Errorf("defaults: color %s, min %d", in.ColorName(), in.MinRows())
	}
	back, err := marshalRules(rules)
	if err != nil || !strings.Contains(string(back), `intent: {check: NTP*, color: red, min: 1}`) {
		t.Errorf("saved as %s (%v)", back, err)
	}
	for _, bad := range []string{
		`{check: "[", color: red}`, `{color: purple}`, `{min: -1}`, `{colour: red, shade: 2}`, `red`,
	} {
		if _, err := parseRules([]byte("rules:\n  - name: r\n    match: {intent: " + bad + "}\n    command: [/bin/x]\n")); err == nil {
			t.Errorf("intent %s accepted", bad)
		}
	}
	if _, err := parseRules([]byte("rules:\n  - name: r\n    command: [/bin/x, \"{{check.id}}\"]\n")); err == nil ||
		!strings.Contains(err.Error(), "intent") {
		t.Errorf("{{check.id}} without an intent condition: %v", err)
	}
}
