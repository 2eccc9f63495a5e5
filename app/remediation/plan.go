package remediation

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
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

// Resolve turns a rule and an event into the plan a proposal would freeze.
// Placeholders in arguments and in the rule's environment values are filled
// from validated identifier fields only; free text such as the snapshot name
// reaches the program through IPF_* variables and the event file, never its
// arguments. An empty workdir becomes the user's home directory, so the
// approval screen shows where the program will really run.
func Resolve(r Rule, e webhook.Event) (Plan, error) {
	return resolve(r, subject{event: e})
}

// ResolveCheck is Resolve for a rule with an intent condition and one of
// the event's checks that meets it: {{check.id}} is filled from it.
func ResolveCheck(r Rule, e webhook.Event, check ipf.Check) (Plan, error) {
	return resolve(r, subject{event: e, check: &check})
}

func resolve(r Rule, sub subject) (Plan, error) {
	e := sub.event
	if err := r.validate(); err != nil {
		return Plan{}, err
	}
	p := Plan{Rule: r.Name, Workdir: r.Workdir, Timeout: r.Timeout, Expires: r.Expires, Env: map[string]string{}}
	p.Argv = append(p.Argv, r.Command[0])
	for _, a := range r.Command[1:] {
		v, err := fill(a, sub)
		if err != nil {
			return Plan{}, fmt.Errorf("rule %q, event %d: %w", r.Name, e.ID, err)
		}
		p.Argv = append(p.Argv, v)
	}
	for k, v := range r.Env {
		fv, err := fill(v, sub)
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

// childEnv is the whole environment of a run: a few variables passed
// through from ipfwatch's own environment (never anything else, so the
// webhook secret cannot leak), the rule's variables, and the event's fields.
// NUL bytes, which no environment can hold, are dropped from event values.
func childEnv(ruleEnv map[string]string, e webhook.Event, eventFile string, check *store.ProposalCheck, rowsFile string) []string {
	vars := map[string]string{}
	for _, k := range passThroughEnv {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range ruleEnv {
		vars[k] = v
	}
	clean := func(s string) string { return strings.ReplaceAll(s, "\x00", "") }
	vars["IPF_EVENT_ID"] = strconv.FormatInt(e.ID, 10)
	vars["IPF_EVENT_TYPE"] = clean(e.Type)
	vars["IPF_EVENT_ACTION"] = clean(e.Action)
	vars["IPF_EVENT_STATUS"] = clean(e.Status)
	vars["IPF_SNAPSHOT_ID"] = clean(e.SnapshotID)
	vars["IPF_SNAPSHOT_NAME"] = clean(e.SnapshotName)
	vars["IPF_REQUESTER"] = clean(e.Requester)
	vars["IPF_EVENT_TIMESTAMP"] = strconv.FormatInt(e.TimestampMillis, 10)
	vars["IPF_EVENT_FILE"] = eventFile
	if check != nil {
		vars["IPF_CHECK_ID"] = clean(check.ID)
		vars["IPF_CHECK_NAME"] = clean(check.Name)
		vars["IPF_CHECK_COLOR"] = clean(check.Color)
		vars["IPF_CHECK_COUNT"] = strconv.Itoa(check.Count)
		vars["IPF_CHECK_ROWS_FILE"] = rowsFile
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	env := make([]string, 0, len(keys))
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	return env
}
