package remediation

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app/store"
)

// Plan is exactly what a proposal would run: the program and arguments with
// placeholders filled in, the variables the rule adds, the working directory
// and the limits. It is frozen into the proposal, so what the engineer
// approves is what runs even if the rule changes afterwards.
type Plan struct {
	Rule    string
	Argv    []string
	Env     map[string]string // only the rule's variables; ipfwatch adds IPF_* at run time
	Workdir string
	Timeout time.Duration
	Expires time.Duration
}

// placeholderRE finds {{ name }} in an argument.
var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// safeValueRE is what a value must look like to be put into an argument.
// Payload data is untrusted; only identifier-shaped values pass, so even a
// program that hands its arguments to a shell cannot be steered by them.
var safeValueRE = regexp.MustCompile(`^[A-Za-z0-9_$-]+$`)

// placeholders maps each known placeholder to the event field it reads.
var placeholders = map[string]func(store.EventRow) string{
	"snapshot.id": func(e store.EventRow) string { return e.SnapshotID },
	"snapshotId":  func(e store.EventRow) string { return e.SnapshotID },
	"event.id":    func(e store.EventRow) string { return strconv.FormatInt(e.ID, 10) },
	"action":      func(e store.EventRow) string { return e.Action },
	"status":      func(e store.EventRow) string { return e.Status },
}

// ErrUnsafeValue is wrapped by Resolve when an event field used in a
// placeholder is empty or holds anything but letters, digits, '-', '_', '$'.
var ErrUnsafeValue = errors.New("value not allowed in a command argument")

// checkPlaceholders reports an unknown or malformed placeholder in s.
func checkPlaceholders(s string) error {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if _, ok := placeholders[m[1]]; !ok {
			return fmt.Errorf("unknown placeholder {{%s}} (known: {{snapshot.id}}, {{snapshotId}}, {{event.id}}, {{action}}, {{status}})", m[1])
		}
	}
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return errors.New("unbalanced {{ or }}")
	}
	return nil
}

// fill replaces the placeholders of s with the event's values, refusing any
// value that is not identifier-shaped.
func fill(s string, e store.EventRow) (string, error) {
	var err error
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		get, ok := placeholders[name]
		if !ok {
			if err == nil {
				err = fmt.Errorf("unknown placeholder {{%s}}", name)
			}
			return m
		}
		v := get(e)
		if !safeValueRE.MatchString(v) {
			if err == nil {
				err = fmt.Errorf("{{%s}} = %q: %w (only letters, digits, '-', '_', '$')", name, v, ErrUnsafeValue)
			}
			return m
		}
		return v
	})
	return out, err
}

// Resolve turns a rule and an event into the plan a proposal would freeze.
// Placeholders in arguments and in the rule's environment values are filled
// from validated identifier fields only; free text such as the snapshot name
// reaches the program through IPF_* variables and the event file, never its
// arguments. An empty workdir becomes the user's home directory, so the
// approval screen shows where the program will really run.
func Resolve(r Rule, e store.EventRow) (Plan, error) {
	if err := r.validate(); err != nil {
		return Plan{}, err
	}
	p := Plan{Rule: r.Name, Workdir: r.Workdir, Timeout: r.Timeout, Expires: r.Expires, Env: map[string]string{}}
	p.Argv = append(p.Argv, r.Command[0])
	for _, a := range r.Command[1:] {
		v, err := fill(a, e)
		if err != nil {
			return Plan{}, fmt.Errorf("rule %q, event %d: %w", r.Name, e.ID, err)
		}
		p.Argv = append(p.Argv, v)
	}
	for k, v := range r.Env {
		fv, err := fill(v, e)
		if err != nil {
			return Plan{}, fmt.Errorf("rule %q, event %d: variable %s: %w", r.Name, e.ID, k, err)
		}
		p.Env[k] = fv
	}
	if p.Workdir == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			home = os.TempDir()
		}
		p.Workdir = home
	}
	return p, nil
}
