package rules

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// Suggestions for the match fields; any other value may be typed.
var (
	typeChoices      = []string{"snapshot", "intent-verification"}
	actionChoices    = []string{"discover", "clone", "delete", "download", "load", "unload", "calculate"}
	statusChoices    = []string{"started", "completed", "failed", "resumed", "resumed (stopping)", "stopped"}
	requesterChoices = []string{"cron", "user", "recalculateSites", "snapshot:discover"}
)

// form adds or edits one rule.
type form struct {
	v       *View
	editing string // the name of the rule being edited; "" when adding
	adding  bool

	title      *widget.Label
	name       *widget.Entry
	enabled    *widget.Check
	mType      *widget.SelectEntry
	mAction    *widget.SelectEntry
	mStatus    *widget.SelectEntry
	mRequester *widget.SelectEntry
	mTest      *widget.Check
	intent     intentFields
	command    *widget.Entry
	workdir    *widget.Entry
	env        *widget.Entry
	timeout    *widget.Entry
	expires    *widget.Entry
	errText    *widget.Label
	saveBtn    *widget.Button
	cancelBtn  *widget.Button
	root       fyne.CanvasObject
}

func newForm(v *View) *form {
	f := &form{v: v}
	f.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("fix-ntp")
	f.enabled = widget.NewCheck("Propose automatically for matching events", nil)
	sel := func(choices []string) *widget.SelectEntry {
		e := widget.NewSelectEntry(choices)
		e.SetPlaceHolder("any")
		return e
	}
	f.mType = sel(typeChoices)
	f.mAction = sel(actionChoices)
	f.mStatus = sel(statusChoices)
	f.mRequester = sel(requesterChoices)
	f.mTest = widget.NewCheck("Also match test webhooks", nil)
	f.intent = newIntentFields()
	f.command = widget.NewMultiLineEntry()
	f.command.SetPlaceHolder("/home/me/automation/fix-ntp.sh\n--snapshot\n{{snapshotId}}")
	f.command.SetMinRowsVisible(4)
	f.command.TextStyle = fyne.TextStyle{Monospace: true}
	f.workdir = widget.NewEntry()
	f.workdir.SetPlaceHolder("your home directory")
	f.env = widget.NewMultiLineEntry()
	f.env.SetPlaceHolder("ANSIBLE_FORCE_COLOR=0")
	f.env.SetMinRowsVisible(2)
	f.env.TextStyle = fyne.TextStyle{Monospace: true}
	f.timeout = widget.NewEntry()
	f.timeout.SetPlaceHolder(config.FormatDuration(remediation.DefaultTimeout))
	f.expires = widget.NewEntry()
	f.expires.SetPlaceHolder(config.FormatDuration(remediation.DefaultExpires))
	f.errText = viewkit.ErrorText()
	f.saveBtn = widget.NewButton("Save", f.submit)
	f.saveBtn.Importance = widget.HighImportance
	f.cancelBtn = widget.NewButton("Cancel", f.close)

	items := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("", f.enabled),
		widget.NewFormItem("Type", withHint(f.mType, "Empty matches any, here and below.")),
		widget.NewFormItem("Action", f.mAction),
		widget.NewFormItem("Status", f.mStatus),
		widget.NewFormItem("Requester", f.mRequester),
		widget.NewFormItem("", f.mTest),
		widget.NewFormItem("", f.intent.on),
		widget.NewFormItem("Intent check", withHint(f.intent.check, "A glob on the check's name, such as NTP*, "+
			"or its id; empty for any. The rule waits for the event's intent checks from IP Fabric's API "+
			"and proposes once for each check that meets it.")),
		widget.NewFormItem("Rows", f.intent.rows()),
		widget.NewFormItem("Command", withHint(f.command, "The program on the first line, then one argument "+
			"per line. Arguments may use {{snapshotId}}, {{snapshot.id}}, {{event.id}}, {{action}}, {{status}}, "+
			"and with an intent check {{check.id}}.")),
		widget.NewFormItem("Working directory", withHint(f.workdir, "An absolute path.")),
		widget.NewFormItem("Environment", withHint(f.env, "KEY=VALUE, one per line. IPF_* variables are added by ipfwatch.")),
		widget.NewFormItem("Timeout", withHint(f.timeout, "How long a run may take, e.g. 90s, 10m.")),
		widget.NewFormItem("Expires", withHint(f.expires, "How long a proposal can be approved, e.g. 24h.")),
	)
	buttons := container.NewHBox(f.saveBtn, f.cancelBtn)
	f.root = container.NewBorder(f.title, container.NewVBox(f.errText, buttons), nil, nil, container.NewVScroll(items))
	f.root.Hide()
	return f
}

// withHint puts a hint under a field. Unlike widget.FormItem's HintText,
// which never wraps and so widens the form to its longest hint, the hint
// wraps to the width the form has.
func withHint(field fyne.CanvasObject, hint string) fyne.CanvasObject {
	l := widget.NewLabel(hint)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return container.NewVBox(field, l)
}

// open fills the form with r: a copy to edit, or a new rule's defaults.
// UI goroutine.
func (f *form) open(r remediation.Rule, adding bool) {
	f.adding = adding
	f.editing = ""
	if adding {
		f.title.SetText("New rule")
		r = remediation.Rule{Enabled: true, Timeout: remediation.DefaultTimeout, Expires: remediation.DefaultExpires}
	} else {
		f.editing = r.Name
		f.title.SetText("Edit rule " + r.Name)
	}
	f.name.SetText(r.Name)
	f.enabled.SetChecked(r.Enabled)
	f.mType.SetText(r.Match.Type)
	f.mAction.SetText(r.Match.Action)
	f.mStatus.SetText(r.Match.Status)
	f.mRequester.SetText(r.Match.Requester)
	f.mTest.SetChecked(r.Match.Test)
	f.intent.set(r.Match.Intent)
	f.command.SetText(strings.Join(r.Command, "\n"))
	f.workdir.SetText(r.Workdir)
	f.env.SetText(formatEnv(r.Env))
	f.timeout.SetText(config.FormatDuration(r.Timeout))
	f.expires.SetText(config.FormatDuration(r.Expires))
	f.errText.Hide()
	f.saveBtn.Enable()
	f.v.showPane(f.root)
	f.v.win.Canvas().Focus(f.name)
}

// close leaves the form without saving. UI goroutine.
func (f *form) close() {
	f.editing, f.adding = "", false
	f.v.showPane(f.v.hint)
}

// submit checks the form and saves the rule set with it. Nothing is
// written unless the whole set is valid. UI goroutine.
func (f *form) submit() {
	r, err := f.rule()
	if err != nil {
		f.showError(err)
		return
	}
	rules := f.v.withRules()
	if i := f.v.index(f.editing); !f.adding && i >= 0 {
		rules[i] = r
	} else {
		rules = append(rules, r)
	}
	f.errText.Hide()
	f.saveBtn.Disable()
	f.v.save(rules, func(err error) {
		f.saveBtn.Enable()
		f.showError(err)
	}, func() {
		f.close()
		f.v.selected = r.Name
		f.v.applyRules(f.v.rules, f.v.rulesErr)
		f.v.setStatus("Saved rule "+r.Name+" to "+f.v.m.RulesPath()+".", widget.SuccessImportance)
	})
}

func (f *form) showError(err error) {
	f.errText.SetText("Not saved: " + err.Error())
	f.errText.Show()
	f.v.right.Refresh()
}

// rule reads the form. Each field's own syntax is checked here with a
// message naming the field; the rest (name, placeholders, workdir,
// variable names) is remediation.ValidateRules's.
func (f *form) rule() (remediation.Rule, error) {
	r := remediation.Rule{
		Name:    strings.TrimSpace(f.name.Text),
		Enabled: f.enabled.Checked,
		Match: remediation.Match{
			Type:      strings.TrimSpace(f.mType.Text),
			Action:    strings.TrimSpace(f.mAction.Text),
			Status:    strings.TrimSpace(f.mStatus.Text),
			Requester: strings.TrimSpace(f.mRequester.Text),
			Test:      f.mTest.Checked,
		},
		Workdir: strings.TrimSpace(f.workdir.Text),
	}
	if r.Name == "" {
		return r, errors.New("name: enter a name for the rule")
	}
	var err error
	if r.Match.Intent, err = f.intent.match(); err != nil {
		return r, err
	}
	r.Command = commandLines(f.command.Text)
	if len(r.Command) == 0 {
		return r, errors.New("command: enter the program on the first line, then one argument per line")
	}
	if r.Env, err = parseEnv(f.env.Text); err != nil {
		return r, err
	}
	if r.Timeout, err = parseDuration("timeout", f.timeout.Text, remediation.DefaultTimeout); err != nil {
		return r, err
	}
	if r.Expires, err = parseDuration("expires", f.expires.Text, remediation.DefaultExpires); err != nil {
		return r, err
	}
	return r, nil
}

// commandLines splits the command field: one argument per line, verbatim
// (spaces inside are part of the argument); empty lines are skipped.
func commandLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// parseEnv reads KEY=VALUE lines.
func parseEnv(s string) (map[string]string, error) {
	env := map[string]string{}
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		k, val, ok := strings.Cut(l, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("environment, line %d: %q is not KEY=VALUE", i+1, l)
		}
		if _, dup := env[k]; dup {
			return nil, fmt.Errorf("environment, line %d: %s is given twice", i+1, k)
		}
		env[k] = val
	}
	if len(env) == 0 {
		return nil, nil
	}
	return env, nil
}

func formatEnv(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + env[k]
	}
	return strings.Join(lines, "\n")
}

// parseDuration reads a duration in Go syntax; empty means def.
func parseDuration(field, s string, def time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration (use Go syntax such as 90s, 10m, 24h)", field, s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s: %q must be positive", field, s)
	}
	return d, nil
}
