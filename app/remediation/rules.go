package remediation

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

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
