package remediation

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Defaults for a rule that does not say.
const (
	DefaultTimeout = 10 * time.Minute
	DefaultExpires = 24 * time.Hour
)

// Match selects events. An empty field matches anything. Test events (IP
// Fabric's "send test webhook") never match unless Test is true: a button
// pressed in the IP Fabric settings must not propose a change to the network.
type Match struct {
	Type      string
	Action    string
	Status    string
	Requester string
	Test      bool
	// Intent, when set, makes the rule wait for the event's intent checks
	// from IP Fabric's API and propose once for each check that meets it.
	Intent *IntentMatch
}

// IntentMatch selects intent checks: those whose name (or id) matches the
// glob Check with at least Min rows of colour Color.
type IntentMatch struct {
	Check string // a glob (path.Match syntax) on the check's name, or its id; "" any
	Color string // red (the default), amber, blue or green
	Min   int    // at least this many rows; default 1
}

// colorOf is the colour an intent condition asks for.
func (m IntentMatch) colorOf() ipf.Color {
	c, err := ipf.ParseColor(m.Color)
	if err != nil || m.Color == "" {
		return ipf.Red
	}
	return c
}

// ColorName is the colour the condition counts, as written in rules.
func (m IntentMatch) ColorName() string { return m.colorOf().String() }

// MinRows is how many rows of the colour a check needs.
func (m IntentMatch) MinRows() int {
	if m.Min <= 0 {
		return 1
	}
	return m.Min
}

// Checks returns, in order, the checks that meet the condition.
func (m IntentMatch) Checks(checks []ipf.Check) []ipf.Check {
	var out []ipf.Check
	for _, k := range checks {
		if m.Check != "" && k.ID != m.Check {
			if ok, _ := path.Match(m.Check, k.Name); !ok {
				continue
			}
		}
		if k.Count(m.colorOf()) >= m.MinRows() {
			out = append(out, k)
		}
	}
	return out
}

// validate checks the condition on its own.
func (m IntentMatch) validate() error {
	if _, err := path.Match(m.Check, ""); err != nil {
		return fmt.Errorf("intent check %q is not a valid glob: %w", m.Check, err)
	}
	if m.Color != "" {
		if _, err := ipf.ParseColor(m.Color); err != nil {
			return fmt.Errorf("intent color %q: use red, amber, blue or green", m.Color)
		}
	}
	if m.Min < 0 {
		return fmt.Errorf("intent min %d must not be negative", m.Min)
	}
	return nil
}

// Rule says which events deserve which command. It only ever leads to a
// proposal: nothing runs until an engineer approves it.
type Rule struct {
	Name    string
	Enabled bool
	Match   Match
	// Command is the program and its arguments, run without a shell.
	// Arguments and Env values may hold placeholders (see Resolve).
	Command []string
	Workdir string // absolute; empty means the user's home directory
	Env     map[string]string
	Timeout time.Duration // how long a run may take; default 10m
	Expires time.Duration // how long a proposal stays approvable; default 24h
}

// Matches reports whether the rule's match selects e. It ignores Enabled, so
// a disabled rule can still be tried against an event in the editor.
func (r Rule) Matches(e webhook.Event) bool {
	m := r.Match
	if e.Test && !m.Test {
		return false
	}
	return (m.Type == "" || m.Type == e.Type) &&
		(m.Action == "" || m.Action == e.Action) &&
		(m.Status == "" || m.Status == e.Status) &&
		(m.Requester == "" || m.Requester == e.Requester)
}

var (
	ruleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	envKeyRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// validate checks one rule on its own.
func (r Rule) validate() error {
	if !ruleNameRE.MatchString(r.Name) {
		return fmt.Errorf("rule name %q: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit", r.Name)
	}
	if len(r.Command) == 0 || r.Command[0] == "" {
		return fmt.Errorf("rule %q: command is empty", r.Name)
	}
	if strings.Contains(r.Command[0], "{{") {
		return fmt.Errorf("rule %q: the program %q may not contain placeholders, only its arguments", r.Name, r.Command[0])
	}
	for _, a := range r.Command {
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("rule %q: command contains a NUL byte", r.Name)
		}
	}
	for _, a := range r.Command[1:] {
		if err := checkPlaceholders(a); err != nil {
			return fmt.Errorf("rule %q: argument %q: %w", r.Name, a, err)
		}
	}
	if r.Workdir != "" && !filepath.IsAbs(r.Workdir) {
		return fmt.Errorf("rule %q: workdir %q must be an absolute path", r.Name, r.Workdir)
	}
	for k, v := range r.Env {
		if err := checkEnv(k, v); err != nil {
			return fmt.Errorf("rule %q: %w", r.Name, err)
		}
	}
	if r.Timeout <= 0 {
		return fmt.Errorf("rule %q: timeout must be positive", r.Name)
	}
	if r.Expires <= 0 {
		return fmt.Errorf("rule %q: expires must be positive", r.Name)
	}
	if r.Match.Intent != nil {
		if err := r.Match.Intent.validate(); err != nil {
			return fmt.Errorf("rule %q: %w", r.Name, err)
		}
	} else if r.uses("check.id") {
		return fmt.Errorf("rule %q: {{check.id}} needs an intent condition in match", r.Name)
	}
	return nil
}

// checkEnv checks one variable a rule adds. Names starting with IPF_ belong
// to ipfwatch: a rule must not be able to fake event data or name a secret.
func checkEnv(k, v string) error {
	if !envKeyRE.MatchString(k) {
		return fmt.Errorf("environment variable name %q is not valid", k)
	}
	if strings.HasPrefix(strings.ToUpper(k), "IPF_") {
		return fmt.Errorf("environment variable %q: names starting with IPF_ are reserved for ipfwatch", k)
	}
	if strings.ContainsRune(v, 0) {
		return fmt.Errorf("environment variable %q contains a NUL byte", k)
	}
	if err := checkPlaceholders(v); err != nil {
		return fmt.Errorf("environment variable %q: %w", k, err)
	}
	return nil
}

// ValidateRules checks a whole rule set: each rule, and that names are unique.
func ValidateRules(rules []Rule) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if err := r.validate(); err != nil {
			return err
		}
		if seen[r.Name] {
			return fmt.Errorf("rule name %q is used twice", r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// uses reports whether the rule's arguments or variables use placeholder
// name.
func (r Rule) uses(name string) bool {
	vals := append([]string(nil), r.Command...)
	for _, v := range r.Env {
		vals = append(vals, v)
	}
	for _, v := range vals {
		for _, m := range placeholderRE.FindAllStringSubmatch(v, -1) {
			if m[1] == name {
				return true
			}
		}
	}
	return false
}
