package remediation

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRulesGood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "remediations.yaml")
	writeFile(t, path, `# team rules
rules:
  - name: fix-ntp
    enabled: true
    match: {type: intent-verification, action: calculate, status: completed, requester: "snapshot:discover"}
    command: ["/home/me/automation/fix-ntp.sh", "--snapshot", "{{snapshotId}}"]
    workdir: /home/me/automation
    env: {ANSIBLE_FORCE_COLOR: "0"}
    timeout: 90s
    expires: 2h30m
  - name: minimal
    command: [/bin/true, "{{ event.id }}", "{{snapshot.id}}-{{action}}-{{status}}"]
    match:
      status: failed
      test: true
`)
	rules, err := LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{
			Name: "fix-ntp", Enabled: true,
			Match:   Match{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover"},
			Command: []string{"/home/me/automation/fix-ntp.sh", "--snapshot", "{{snapshotId}}"},
			Workdir: "/home/me/automation", Env: map[string]string{"ANSIBLE_FORCE_COLOR": "0"},
			Timeout: 90 * time.Second, Expires: 150 * time.Minute,
		},
		{
			Name: "minimal", Enabled: true, // enabled defaults to true, durations to 10m/24h
			Match:   Match{Status: "failed", Test: true},
			Command: []string{"/bin/true", "{{ event.id }}", "{{snapshot.id}}-{{action}}-{{status}}"},
			Timeout: DefaultTimeout, Expires: DefaultExpires,
		},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Fatalf("rules:\n got %#v\nwant %#v", rules, want)
	}
}

func TestLoadRulesEmptyFile(t *testing.T) {
	for _, content := range []string{"", "# nothing yet\n", "rules:\n", "rules: []\n"} {
		path := filepath.Join(t.TempDir(), "r.yaml")
		writeFile(t, path, content)
		rules, err := LoadRules(path)
		if err != nil || len(rules) != 0 {
			t.Errorf("%q: rules %v, err %v; want none, nil", content, rules, err)
		}
	}
}

func TestLoadRulesErrors(t *testing.T) {
	const head = "rules:\n  - name: a\n    command: [/bin/true]\n"
	tests := []struct {
		name, content string
		line          string // "line N"
		text          string // part of the message
	}{
		{"unknown top key", "rule:\n  - name: a\n", "line 1", `unknown key "rule"`},
		{"unknown rule key", head + "    requestor: cron\n", "line 4", `unknown key "requestor"`},
		{"unknown match key", head + "    match: {type: snapshot,\n      requestor: cron}\n", "line 5", `unknown key "requestor" in match`},
		{"duplicate name", head + "  - name: b\n    command: [/bin/true]\n  - name: a\n    command: [/bin/false]\n", "line 6", `"a" is already used at line 2`},
		{"unknown placeholder", head + "  - name: b\n    command: [/bin/echo, \"{{snapshot.name}}\"]\n", "line 5", "unknown placeholder {{snapshot.name}}"},
		{"unbalanced placeholder", head + "  - name: b\n    command: [/bin/echo, \"{{snapshotId\"]\n", "line 5", "unbalanced"},
		{"placeholder in program", head + "  - name: b\n    command: [\"/bin/{{action}}\"]\n", "line 5", "may not contain placeholders"},
		{"bad duration", head + "    timeout: 10 minutes\n", "line 4", `"10 minutes" is not a duration`},
		{"negative duration", head + "    expires: -1h\n", "line 4", "must be positive"},
		{"empty command", "rules:\n  - name: a\n    command: []\n", "line 3", "command is empty"},
		{"no command", "rules:\n  - name: a\n", "line 2", "has no command"},
		{"no name", "rules:\n  - command: [/bin/true]\n", "line 2", "has no name"},
		{"bad name", "rules:\n  - name: \"fix ntp\"\n    command: [/bin/true]\n", "line 2", "rule name"},
		{"reserved env", head + "    env: {IPF_WEBHOOK_SECRET: x}\n", "line 4", "reserved"},
		{"bad env name", head + "    env: {\"A-B\": x}\n", "line 4", "not valid"},
		{"relative workdir", head + "    workdir: automation\n", "line 4", "absolute"},
		{"not a bool", head + "    enabled: maybe\n", "line 4", `"maybe" is not a valid true/false value`},
		{"command not a list", "rules:\n  - name: a\n    command: /bin/true --x\n", "line 3", "command must be a list"},
		{"rules not a list", "rules: {name: a}\n", "line 1", `"rules" must be a list`},
		{"duplicate key", head + "    name: b\n", "line 4", `key "name" given twice`},
		{"yaml syntax", "rules:\n  - name: [a\n", "line", "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "remediations.yaml")
			writeFile(t, path, tt.content)
			_, err := LoadRules(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.line+":") && !strings.Contains(msg, tt.line+" ") {
				t.Errorf("error %q does not name %s", msg, tt.line)
			}
			if !strings.Contains(msg, tt.text) {
				t.Errorf("error %q does not say %q", msg, tt.text)
			}
			if !strings.HasPrefix(msg, "remediations.yaml: ") {
				t.Errorf("error %q does not name the file", msg)
			}
		})
	}
}

func TestSaveRulesRoundTrip(t *testing.T) {
	rules := []Rule{
		{
			Name: "fix-ntp", Enabled: true,
			Match:   Match{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover"},
			Command: []string{"/opt/fix ntp.sh", "--snapshot", "{{snapshotId}}", "it's \"quoted\"", "#not-a-comment", ""},
			Workdir: "/opt", Env: map[string]string{"B": "2", "A": "{{event.id}}", "EMPTY": ""},
			Timeout: 90 * time.Second, Expires: 36 * time.Hour,
		},
		{Name: "off", Enabled: false, Match: Match{Test: true}, Command: []string{"/bin/true"}, Timeout: time.Minute + 500*time.Millisecond, Expires: time.Hour},
	}
	path := filepath.Join(t.TempDir(), "sub", "remediations.yaml")
	if err := SaveRules(path, rules); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRules(path)
	if err != nil {
		data, _ := os.ReadFile(path)
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, rules) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, rules)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"timeout: 1m30s", "expires: 36h", "command: [", "match: {type: intent-verification"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("saved file lacks %q:\n%s", want, data)
		}
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the rules file", len(entries))
	}
	// Invalid rules are refused and the file is untouched.
	if err := SaveRules(path, append(rules, rules[0])); err == nil {
		t.Fatal("duplicate names saved")
	}
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Error("refused save changed the file")
	}
}

func TestWriteExample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "remediations.yaml")
	if err := WriteExample(path); err != nil {
		t.Fatal(err)
	}
	rules, err := LoadRules(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || rules[0].Enabled {
		t.Fatalf("example rules %+v, want one disabled rule", rules)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "# ") || !strings.Contains(string(data), "IPF_SNAPSHOT_NAME") {
		t.Error("example is not commented")
	}
	// An existing file is never overwritten.
	writeFile(t, path, "rules: []\n")
	if err := WriteExample(path); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "rules: []\n" {
		t.Errorf("existing file overwritten: %q", data)
	}
}

func TestMatches(t *testing.T) {
	ev := webhook.Event{Payload: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover"}}
	test := ev
	test.Test = true
	tests := []struct {
		name  string
		match Match
		event webhook.Event
		want  bool
	}{
		{"empty match takes anything", Match{}, ev, true},
		{"all fields", Match{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover"}, ev, true},
		{"other type", Match{Type: "snapshot"}, ev, false},
		{"other action", Match{Action: "discover"}, ev, false},
		{"other status", Match{Status: "failed"}, ev, false},
		{"requester matches", Match{Requester: "snapshot:discover"}, ev, true},
		{"other requester", Match{Requester: "cron"}, ev, false},
		{"requester is exact", Match{Requester: "snapshot"}, ev, false},
		{"test event, rule silent", Match{}, test, false},
		{"test event, rule fits otherwise", Match{Type: "intent-verification"}, test, false},
		{"test event, rule allows", Match{Test: true}, test, true},
		{"test rule still takes real events", Match{Test: true}, ev, true},
		{"test allowed but other status", Match{Test: true, Status: "failed"}, test, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Rule{Name: "r", Match: tt.match, Command: []string{"/bin/true"}}
			if got := r.Matches(tt.event); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	rule := Rule{
		Name: "r", Command: []string{"/bin/x", "--snap={{snapshotId}}", "{{snapshot.id}}", "{{event.id}}", "{{action}}/{{status}}", "literal $(x)"},
		Workdir: "/opt", Env: map[string]string{"SNAP": "{{snapshotId}}", "K": "v"}, Timeout: time.Minute, Expires: time.Hour,
	}
	ev := webhook.Event{Payload: webhook.Payload{SnapshotID: "$lastLocked_1-a", Action: "calculate", Status: "completed"}, ID: 42}
	p, err := Resolve(rule, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := Plan{
		Rule: "r", Argv: []string{"/bin/x", "--snap=$lastLocked_1-a", "$lastLocked_1-a", "42", "calculate/completed", "literal $(x)"},
		Env: map[string]string{"SNAP": "$lastLocked_1-a", "K": "v"}, Workdir: "/opt", Timeout: time.Minute, Expires: time.Hour,
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("plan\n got %#v\nwant %#v", p, want)
	}

	// The default working directory is made explicit.
	rule.Workdir = ""
	if p, err := Resolve(rule, ev); err != nil || p.Workdir == "" {
		t.Errorf("default workdir: %q, %v", p.Workdir, err)
	}

	for _, hostile := range []string{"$(touch pwned)", "a;b", "`touch pwned`", "a\nb", "", "a b", "../x", "a|b", "x'y", "ü"} {
		for _, field := range []string{"snapshotId", "action", "status"} {
			e := ev
			switch field {
			case "snapshotId":
				e.SnapshotID = hostile
			case "action":
				e.Action = hostile
			case "status":
				e.Status = hostile
			}
			r := Rule{Name: "r", Command: []string{"/bin/x", "{{" + field + "}}"}, Timeout: time.Minute, Expires: time.Hour}
			if _, err := Resolve(r, e); !errors.Is(err, ErrUnsafeValue) {
				t.Errorf("%s = %q in argument: err %v, want ErrUnsafeValue", field, hostile, err)
			}
			r = Rule{Name: "r", Command: []string{"/bin/x"}, Env: map[string]string{"V": "{{" + field + "}}"}, Timeout: time.Minute, Expires: time.Hour}
			if _, err := Resolve(r, e); !errors.Is(err, ErrUnsafeValue) {
				t.Errorf("%s = %q in env: err %v, want ErrUnsafeValue", field, hostile, err)
			}
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 10 * time.Minute: "10m", 90 * time.Second: "1m30s",
		90 * time.Minute: "1h30m", time.Hour + time.Second: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := config.FormatDuration(d); got != want {
			t.Errorf("config.FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(config.FormatDuration(d)); err != nil || back != d {
			t.Errorf("%v does not parse back: %v %v", d, back, err)
		}
	}
	if got := humanSize(1 << 20); got != "1 MiB" {
		t.Errorf("humanSize = %q", got)
	}
}
