package remediation

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ipfwatch/ipfwatch/app/config"
)

// LoadRules reads a rules file. Every error names the line at fault, so an
// engineer editing the file by hand (or a teammate's commit) can be fixed
// quickly. Unknown keys are errors rather than ignored: a misspelt "requestor"
// would otherwise silently widen a match.
func LoadRules(path string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	rules, err := parseRules(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return rules, nil
}

// lineError is an error at a line of the rules file.
func lineError(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

func parseRules(data []byte) ([]Rule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 syntax errors already read "yaml: line N: ...".
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // empty file: no rules
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, lineError(root, "expected a mapping with the key \"rules\"")
	}
	var rules []Rule
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rules":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				return nil, lineError(v, "\"rules\" must be a list")
			}
			seen := map[string]int{}
			for _, rn := range v.Content {
				r, err := parseRule(rn)
				if err != nil {
					return nil, err
				}
				if first, dup := seen[r.Name]; dup {
					return nil, lineError(rn, "rule name %q is already used at line %d", r.Name, first)
				}
				seen[r.Name] = rn.Line
				rules = append(rules, r)
			}
		default:
			return nil, lineError(k, "unknown key %q (expected \"rules\")", k.Value)
		}
	}
	return rules, nil
}

func parseRule(n *yaml.Node) (Rule, error) {
	r := Rule{Enabled: true, Timeout: DefaultTimeout, Expires: DefaultExpires}
	if n.Kind != yaml.MappingNode {
		return r, lineError(n, "a rule must be a mapping (name, match, command, ...)")
	}
	has := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if has[k.Value] {
			return r, lineError(k, "key %q given twice", k.Value)
		}
		has[k.Value] = true
		var err error
		switch k.Value {
		case "name":
			if err = decodeScalar(v, &r.Name); err == nil && !ruleNameRE.MatchString(r.Name) {
				err = lineError(v, "rule name %q: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit", r.Name)
			}
		case "enabled":
			err = decodeScalar(v, &r.Enabled)
		case "match":
			r.Match, err = parseMatch(v)
		case "command":
			if v.Kind != yaml.SequenceNode {
				return r, lineError(v, "command must be a list: [program, arg, ...]")
			}
			if len(v.Content) == 0 {
				return r, lineError(v, "command is empty")
			}
			for j, a := range v.Content {
				var s string
				if err := decodeScalar(a, &s); err != nil {
					return r, err
				}
				if j == 0 && strings.Contains(s, "{{") {
					return r, lineError(a, "the program %q may not contain placeholders, only its arguments", s)
				}
				if j > 0 {
					if err := checkPlaceholders(s); err != nil {
						return r, lineError(a, "argument %q: %v", s, err)
					}
				}
				r.Command = append(r.Command, s)
			}
		case "workdir":
			if err = decodeScalar(v, &r.Workdir); err == nil && r.Workdir != "" && !filepath.IsAbs(r.Workdir) {
				err = lineError(v, "workdir %q must be an absolute path", r.Workdir)
			}
		case "env":
			if v.Kind != yaml.MappingNode {
				return r, lineError(v, "env must be a mapping of NAME: value")
			}
			r.Env = map[string]string{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				kn, vn := v.Content[j], v.Content[j+1]
				var key, val string
				if err := decodeScalar(kn, &key); err != nil {
					return r, err
				}
				if err := decodeScalar(vn, &val); err != nil {
					return r, err
				}
				if err := checkEnv(key, val); err != nil {
					return r, lineError(kn, "%v", err)
				}
				if _, dup := r.Env[key]; dup {
					return r, lineError(kn, "environment variable %q given twice", key)
				}
				r.Env[key] = val
			}
		case "timeout":
			r.Timeout, err = parseDuration(v)
		case "expires":
			r.Expires, err = parseDuration(v)
		default:
			return r, lineError(k, "unknown key %q in rule (expected name, enabled, match, command, workdir, env, timeout, expires)", k.Value)
		}
		if err != nil {
			return r, err
		}
	}
	if !has["name"] {
		return r, lineError(n, "rule has no name")
	}
	if !has["command"] {
		return r, lineError(n, "rule %q has no command", r.Name)
	}
	if err := r.validate(); err != nil {
		return r, lineError(n, "%v", err)
	}
	return r, nil
}

func parseMatch(n *yaml.Node) (Match, error) {
	var m Match
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return m, nil
	}
	err := eachKey(n, "match must be a mapping such as {type: snapshot, status: failed}", func(k, v *yaml.Node) error {
		switch k.Value {
		case "type":
			return decodeScalar(v, &m.Type)
		case "action":
			return decodeScalar(v, &m.Action)
		case "status":
			return decodeScalar(v, &m.Status)
		case "requester":
			return decodeScalar(v, &m.Requester)
		case "test":
			return decodeScalar(v, &m.Test)
		case "intent":
			var err error
			m.Intent, err = parseIntent(v)
			return err
		}
		return lineError(k, "unknown key %q in match (expected type, action, status, requester, test, intent)", k.Value)
	})
	return m, err
}

// parseIntent reads an intent condition: {check: "NTP*", color: red, min: 1}.
func parseIntent(n *yaml.Node) (*IntentMatch, error) {
	var m IntentMatch
	err := eachKey(n, `intent must be a mapping such as {check: "NTP*", color: red, min: 1}`, func(k, v *yaml.Node) error {
		switch k.Value {
		case "check":
			return decodeScalar(v, &m.Check)
		case "color", "colour":
			return decodeScalar(v, &m.Color)
		case "min":
			return decodeScalar(v, &m.Min)
		}
		return lineError(k, "unknown key %q in intent (expected check, color, min)", k.Value)
	})
	if err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, lineError(n, "%v", err)
	}
	return &m, nil
}

// eachKey calls each for the keys of mapping n in order, stopping at the
// first error; notMapping is the error when n is not a mapping.
func eachKey(n *yaml.Node, notMapping string, each func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return lineError(n, "%s", notMapping)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := each(n.Content[i], n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// decodeScalar decodes a scalar node, refusing lists and mappings where one
// value is expected.
func decodeScalar(n *yaml.Node, out any) error {
	if n.Kind != yaml.ScalarNode {
		return lineError(n, "expected a single value")
	}
	if err := n.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return lineError(n, "%q is not a valid %s", n.Value, kindName(out))
		}
		return lineError(n, "%v", err)
	}
	return nil
}

func kindName(v any) string {
	switch v.(type) {
	case *bool:
		return "true/false value"
	default:
		return "text"
	}
}

func parseDuration(n *yaml.Node) (time.Duration, error) {
	var s string
	if err := decodeScalar(n, &s); err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, lineError(n, "%q is not a duration (use Go syntax such as 90s, 10m, 24h)", s)
	}
	if d <= 0 {
		return 0, lineError(n, "duration %q must be positive", s)
	}
	return d, nil
}

const rulesHeader = `# ipfwatch remediation rules. A matching event creates a proposal; nothing
# runs until an engineer approves it. See the README section "Remediation".
`

// SaveRules writes rules in the same format LoadRules reads, atomically (a
// temporary file renamed over the old one), so a crash never leaves half a
// file and a watcher never reads one. Comments in the old file are not kept.
func SaveRules(path string, rules []Rule) error {
	if err := ValidateRules(rules); err != nil {
		return err
	}
	data, err := marshalRules(rules)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

func marshalRules(rules []Rule) ([]byte, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, r := range rules {
		seq.Content = append(seq.Content, ruleNode(r))
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("rules"), seq}}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.TrimSpace(rulesHeader), Content: []*yaml.Node{root}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	return buf.Bytes(), nil
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

func ruleNode(r Rule) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }
	add("name", str(r.Name))
	add("enabled", boolNode(r.Enabled))
	match := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, kv := range [][2]string{{"type", r.Match.Type}, {"action", r.Match.Action}, {"status", r.Match.Status}, {"requester", r.Match.Requester}} {
		if kv[1] != "" {
			match.Content = append(match.Content, str(kv[0]), str(kv[1]))
		}
	}
	if r.Match.Test {
		match.Content = append(match.Content, str("test"), boolNode(true))
	}
	if in := r.Match.Intent; in != nil {
		intent := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		if in.Check != "" {
			intent.Content = append(intent.Content, str("check"), str(in.Check))
		}
		intent.Content = append(intent.Content, str("color"), str(in.ColorName()),
			str("min"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(in.MinRows())})
		match.Content = append(match.Content, str("intent"), intent)
	}
	add("match", match)
	cmd := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, a := range r.Command {
		cmd.Content = append(cmd.Content, str(a))
	}
	add("command", cmd)
	if r.Workdir != "" {
		add("workdir", str(r.Workdir))
	}
	if len(r.Env) > 0 {
		env := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		keys := make([]string, 0, len(r.Env))
		for k := range r.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env.Content = append(env.Content, str(k), str(r.Env[k]))
		}
		add("env", env)
	}
	add("timeout", str(config.FormatDuration(r.Timeout)))
	add("expires", str(config.FormatDuration(r.Expires)))
	return m
}

// writeAtomic replaces the rules file at path (0600, like the rest of the
// data directory) without a reader ever seeing half of it.
func writeAtomic(path string, data []byte) error {
	if err := config.WriteFileAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("save rules to %s: %w", path, err)
	}
	return nil
}

// exampleRules is written on first start so an engineer sees the format next
// to the data it acts on. Its one rule is disabled.
const exampleRules = `# ipfwatch remediation rules.
#
# When an event stored by ipfwatch matches an enabled rule, ipfwatch creates a
# proposal showing exactly what would run. Nothing runs until an engineer
# presses Approve (or runs "ipfwatch approve ID"). Every step is recorded.
#
# Keys of a rule:
#   name:     unique name, shown in notifications and the approval screen
#   enabled:  false keeps the rule for manual use ("Remediate...") only
#   match:    type, action, status, requester; an omitted key matches anything.
#             Test webhooks never match unless "test: true" is given.
#             intent: {check: "NTP*", color: red, min: 1} waits for the
#             event's intent checks from IP Fabric's API and proposes once
#             for each check (a glob on its name, or its id) with at least
#             min rows of that colour; {{check.id}} is then a placeholder
#             and the program gets IPF_CHECK_ID, IPF_CHECK_NAME,
#             IPF_CHECK_COLOR, IPF_CHECK_COUNT and IPF_CHECK_ROWS_FILE.
#   command:  program and arguments, run directly (no shell). Arguments may use
#             {{snapshot.id}}, {{snapshotId}}, {{event.id}}, {{action}} and
#             {{status}}; an event whose value is not made only of letters,
#             digits, '-', '_' or '$' gets no proposal.
#   workdir:  absolute working directory (default: your home directory)
#   env:      extra environment variables (names may not start with IPF_)
#   timeout:  how long a run may take before it is stopped (default 10m)
#   expires:  how long a proposal can be approved (default 24h)
#
# The program also receives IPF_EVENT_ID, IPF_EVENT_TYPE, IPF_EVENT_ACTION,
# IPF_EVENT_STATUS, IPF_SNAPSHOT_ID, IPF_SNAPSHOT_NAME, IPF_REQUESTER,
# IPF_EVENT_TIMESTAMP (epoch ms) and IPF_EVENT_FILE (the raw JSON body) in its
# environment, plus PATH, HOME and LANG. Nothing else, and never the webhook
# secret.
rules:
  - name: fix-ntp
    enabled: false
    match: {type: intent-verification, action: calculate, status: completed, requester: "snapshot:discover"}
    command: ["/usr/local/bin/fix-ntp.sh", "--snapshot", "{{snapshotId}}"]
    env: {ANSIBLE_FORCE_COLOR: "0"}
    timeout: 10m
    expires: 24h
`

// WriteExample writes the commented example rules file if path does not
// exist yet. An existing file is never touched.
func WriteExample(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check %s: %w", path, err)
	}
	return writeAtomic(path, []byte(exampleRules))
}
