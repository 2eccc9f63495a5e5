// Package rules is the Rules view of the main window: the remediation rules
// of remediations.yaml in a table, a form to add or edit one, and a "Test
// against event..." preview of what a rule would propose for a stored
// event, which runs and writes nothing.
//
// Every edit goes through remediation.Manager.SetRules, which validates the
// whole set and replaces the file atomically: invalid input is refused with
// the reason shown in the form, and the file is left as it was. File
// writes and database reads run off the UI goroutine; widgets change only
// on it (fyne.Do).
package rules

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/ui/approvals"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// The table's columns, with the widths they start at. Together they fit
// the main window's width (1000 px): the table has it all unless the form
// or the tester is open.
var (
	columns      = []string{"Name", "State", "Match", "Command"}
	columnWidths = []float32{170, 80, 300, 420}
)

// paneOffset is the table's share of the width while the form or the
// tester is open beside it; they get the rest, which fits them at the
// window's usual size.
const paneOffset = 0.45

// View is the Rules view. Build it with New on the UI goroutine; Changed
// may be called from any goroutine.
type View struct {
	a   *app.App
	m   *remediation.Manager
	win fyne.Window
	viewkit.Base

	// UI goroutine only.
	rules    []remediation.Rule
	rulesErr error
	selected string // name of the selected rule, "" if none
	saving   bool

	banner    *widget.Label
	path      *widget.Label
	table     *widget.Table
	empty     *widget.Label
	addBtn    *widget.Button
	editBtn   *widget.Button
	deleteBtn *widget.Button
	toggleBtn *widget.Button
	testBtn   *widget.Button
	status    *widget.Label
	form      *form
	tester    *tester
	hint      *widget.Label
	right     *fyne.Container
	split     *container.Split
	top       *fyne.Container
	deleteDlg *dialog.ConfirmDialog
	content   fyne.CanvasObject
}

// New builds the Rules view showing the rules in force. Call it on the UI
// goroutine.
func New(a *app.App, win fyne.Window, opts ...viewkit.Option) *View {
	v := &View{a: a, m: a.Remediation(), win: win}
	v.Init(opts)
	v.build()
	v.applyRules(v.m.Rules(), v.m.RulesError())
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Shown re-reads the rules when the tab comes to the front. UI goroutine.
func (v *View) Shown() { v.applyRules(v.m.Rules(), v.m.RulesError()) }

// Changed shows the rules again when they were edited or reloaded from
// disk. It is called from the shell's subscription goroutine.
func (v *View) Changed(c app.Change) {
	if c.Kind != app.RulesChanged {
		return
	}
	rules, err := v.m.Rules(), v.m.RulesError()
	v.Post(func() { v.applyRules(rules, err) })
}

// applyRules shows the rules in force and why the file is not, if it is
// not. The selection stays on the same rule name. UI goroutine.
func (v *View) applyRules(rules []remediation.Rule, err error) {
	v.rules, v.rulesErr = rules, err
	if err != nil {
		v.banner.SetText("The rules file is invalid: " + err.Error() + ". The last valid rules stay in force " +
			"(listed below). Fix the file, or save a rule here to replace the file with these rules.")
		v.banner.Show()
	} else {
		v.banner.Hide()
	}
	setVisible(v.empty, len(rules) == 0)
	v.table.Refresh()
	if i := v.index(v.selected); i >= 0 {
		v.table.Select(widget.TableCellID{Row: i, Col: 0})
	} else {
		v.selected = ""
		v.table.UnselectAll()
	}
	v.updateButtons()
	v.top.Refresh()
}

// index is the row of the rule named name, or -1.
func (v *View) index(name string) int {
	if name == "" {
		return -1
	}
	for i, r := range v.rules {
		if r.Name == name {
			return i
		}
	}
	return -1
}

func (v *View) selectedRule() (remediation.Rule, bool) {
	i := v.index(v.selected)
	if i < 0 {
		return remediation.Rule{}, false
	}
	return v.rules[i], true
}

func (v *View) updateButtons() {
	r, ok := v.selectedRule()
	for _, b := range []*widget.Button{v.editBtn, v.deleteBtn, v.toggleBtn, v.testBtn} {
		if ok && !v.saving {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if v.saving {
		v.addBtn.Disable()
	} else {
		v.addBtn.Enable()
	}
	if ok && r.Enabled {
		v.toggleBtn.SetText("Disable")
	} else {
		v.toggleBtn.SetText("Enable")
	}
}

// showPane shows the form or the tester on the right of the table, or,
// given the hint, closes the right pane: the table then has the whole
// width, and the hint shows beside the buttons.
func (v *View) showPane(o fyne.CanvasObject) {
	for _, c := range v.right.Objects {
		setVisible(c, c == o)
	}
	setVisible(v.hint, o == v.hint)
	setVisible(v.right, o != v.hint)
	v.right.Refresh()
	v.split.Refresh()
}

// save replaces the rule set with rules through the manager, which
// validates it and writes the file. done runs on the UI goroutine after a
// successful save; a failure is reported through fail. UI goroutine.
func (v *View) save(rules []remediation.Rule, fail func(error), done func()) {
	if err := remediation.ValidateRules(rules); err != nil {
		fail(err)
		return
	}
	v.saving = true
	v.updateButtons()
	v.Background(func(context.Context) func() {
		err := v.m.SetRules(rules)
		inForce, rerr := v.m.Rules(), v.m.RulesError()
		return func() {
			v.saving = false
			if err != nil {
				v.Opt.Log.Warn("rules view: save failed", "err", err)
				v.updateButtons()
				fail(err)
				return
			}
			v.applyRules(inForce, rerr)
			done()
		}
	})
}

// withRules is a copy of the rules shown, for building the next set.
func (v *View) withRules() []remediation.Rule {
	out := make([]remediation.Rule, len(v.rules))
	copy(out, v.rules)
	return out
}

// toggle enables or disables the selected rule. UI goroutine.
func (v *View) toggle() {
	i := v.index(v.selected)
	if i < 0 {
		return
	}
	rules := v.withRules()
	rules[i].Enabled = !rules[i].Enabled
	name, on := rules[i].Name, rules[i].Enabled
	v.save(rules, v.fail, func() {
		if on {
			v.setStatus("Rule "+name+" enabled: matching events now get proposals.", widget.SuccessImportance)
		} else {
			v.setStatus("Rule "+name+" disabled: it proposes nothing by itself (Remediate… can still use it).", widget.SuccessImportance)
		}
	})
}

// askDelete asks before deleting the selected rule. UI goroutine.
func (v *View) askDelete() {
	r, ok := v.selectedRule()
	if !ok {
		return
	}
	name := r.Name
	v.deleteDlg = dialog.NewConfirm("Delete rule "+name+"?",
		"It is removed from remediations.yaml. Proposals it already made stay and can still be decided.",
		func(yes bool) {
			if yes {
				v.deleteRule(name)
			}
		}, v.win)
	v.deleteDlg.SetConfirmText("Delete")
	v.deleteDlg.SetConfirmImportance(widget.DangerImportance)
	v.deleteDlg.Show()
}

func (v *View) deleteRule(name string) {
	rules := v.withRules()
	i := v.index(name)
	if i < 0 {
		return
	}
	rules = append(rules[:i], rules[i+1:]...)
	v.save(rules, v.fail, func() {
		if v.form.editing == name {
			v.form.close()
		}
		v.setStatus("Rule "+name+" deleted.", widget.SuccessImportance)
	})
}

func (v *View) fail(err error) { v.setStatus("Not saved: "+err.Error(), widget.DangerImportance) }

func (v *View) setStatus(text string, imp widget.Importance) {
	v.status.SetText(text)
	v.status.Importance = imp
	v.status.Refresh()
	v.status.Show()
}

// build creates the widgets. UI goroutine.
func (v *View) build() {
	v.banner = widget.NewLabel("")
	v.banner.Wrapping = fyne.TextWrapWord
	v.banner.Importance = widget.DangerImportance
	v.banner.Hide()
	v.path = widget.NewLabel("Rules file: " + v.m.RulesPath() + " (reloaded when it changes on disk)")
	v.path.Wrapping = fyne.TextWrapWord
	v.path.Importance = widget.LowImportance

	v.table = widget.NewTable(
		func() (int, int) { return len(v.rules), len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row < 0 || id.Row >= len(v.rules) {
				l.SetText("")
				return
			}
			l.SetText(cellText(v.rules[id.Row], id.Col))
		})
	v.table.ShowHeaderRow = true
	v.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row < 0 && id.Col >= 0 && id.Col < len(columns) {
			o.(*widget.Label).SetText(columns[id.Col])
		}
	}
	for i, w := range columnWidths {
		v.table.SetColumnWidth(i, w)
	}
	v.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(v.rules) {
			v.selected = v.rules[id.Row].Name
			v.updateButtons()
		}
	}
	v.empty = widget.NewLabel("No rules yet. Add one: nothing it proposes runs until you approve it.")
	v.empty.Importance = widget.LowImportance
	v.empty.Hide()

	v.form = newForm(v)
	v.tester = newTester(v)
	v.addBtn = widget.NewButton("Add…", func() { v.form.open(remediation.Rule{}, true) })
	v.editBtn = widget.NewButton("Edit…", func() {
		if r, ok := v.selectedRule(); ok {
			v.form.open(r, false)
		}
	})
	v.deleteBtn = widget.NewButton("Delete…", v.askDelete)
	v.toggleBtn = widget.NewButton("Disable", v.toggle)
	v.testBtn = widget.NewButton("Test against event…", func() {
		if r, ok := v.selectedRule(); ok {
			v.tester.open(r)
		}
	})
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Hide()

	v.hint = widget.NewLabel("Select a rule to edit or test it, or add one.")
	// One line beside the buttons: cut short rather than wrapped, so it
	// never makes the row taller.
	v.hint.Truncation = fyne.TextTruncateEllipsis
	v.right = container.NewStack(v.form.root, v.tester.root)

	buttons := container.NewHBox(v.addBtn, v.editBtn, v.deleteBtn, v.toggleBtn, v.testBtn)
	v.top = container.NewVBox(v.banner, v.path, container.NewBorder(nil, nil, buttons, nil, v.hint))
	left := container.NewBorder(v.top, v.status, nil, nil, container.NewStack(v.table, v.empty))
	v.split = container.NewHSplit(left, v.right)
	v.split.Offset = paneOffset
	v.showPane(v.hint)
	v.content = v.split
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// cellText is what one table cell shows.
func cellText(r remediation.Rule, col int) string {
	switch col {
	case 0:
		return r.Name
	case 1:
		if r.Enabled {
			return "enabled"
		}
		return "disabled"
	case 2:
		return MatchSummary(r.Match)
	case 3:
		args := make([]string, len(r.Command))
		for i, a := range r.Command {
			args[i] = approvals.DisplayArg(a)
		}
		return strings.Join(args, " ")
	}
	return ""
}

// MatchSummary says in one line which events a match selects, as in
// "type=snapshot action=discover status=failed", and which of their intent
// checks when it has an intent condition.
func MatchSummary(m remediation.Match) string {
	var parts []string
	for _, kv := range [][2]string{{"type", m.Type}, {"action", m.Action}, {"status", m.Status}, {"requester", m.Requester}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+approvals.DisplayArg(kv[1]))
		}
	}
	s := strings.Join(parts, " ")
	if s == "" {
		s = "any event"
	}
	if m.Test {
		s += ", test webhooks too"
	}
	if m.Intent != nil {
		s += ", " + intentSummary(*m.Intent)
	}
	return s
}
