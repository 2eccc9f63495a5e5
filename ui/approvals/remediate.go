package approvals

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// remediateDialog lets the engineer pick a rule for a stored event, shows
// the plan it would freeze and proposes it. Proposing runs nothing: the
// proposal lands on the approval screen like any other.
type remediateDialog struct {
	v       *View
	eventID int64
	rules   []remediation.Rule
	event   webhook.Event
	loaded  bool // the event has been read
	rule    string
	gen     int // bumped per rule choice: older previews are dropped

	dlg     *dialog.CustomDialog
	ruleSel *widget.Select
	evText  *widget.Label
	note    *widget.Label
	plan    *fyne.Container
	errText *widget.Label
	propose *widget.Button
	close   *widget.Button
}

// Remediate opens a dialog to propose a rule (enabled or not) for a stored
// event: it shows what the proposal would run, and "Propose" creates a
// pending proposal and selects it on the approval screen. Nothing runs until
// it is approved there. This is the Events view's "Remediate..." action.
// Call it on the UI goroutine.
func (v *View) Remediate(eventID int64) {
	d := &remediateDialog{v: v, eventID: eventID, rules: v.m.Rules()}
	v.remediate = d
	labels := make([]string, len(d.rules))
	for i, r := range d.rules {
		labels[i] = ruleChoice(r)
	}
	d.ruleSel = widget.NewSelect(labels, func(label string) {
		for i, l := range labels {
			if l == label {
				d.choose(d.rules[i].Name)
			}
		}
	})
	d.ruleSel.PlaceHolder = "Choose a rule"
	d.evText = widget.NewLabel("Event " + strconv.FormatInt(eventID, 10) + ": loading…")
	d.evText.Wrapping = fyne.TextWrapWord
	d.note = viewkit.Wrapped("")
	d.note.Importance = widget.WarningImportance
	d.note.Hide()
	d.plan = container.NewStack()
	d.errText = viewkit.ErrorText()
	d.propose = widget.NewButton("Propose", d.submit)
	d.propose.Importance = widget.HighImportance
	d.propose.Disable()
	d.close = widget.NewButton("Cancel", func() { d.dlg.Hide() })

	intro := widget.NewLabel("The proposal waits on the approval screen; nothing runs until it is approved.")
	intro.Wrapping = fyne.TextWrapWord
	if len(d.rules) == 0 {
		showError(d.errText, "There are no rules yet. Add one in the Rules tab.")
		d.ruleSel.Disable()
	}
	body := container.NewVBox(d.evText, intro,
		container.NewBorder(nil, nil, widget.NewLabel("Rule"), nil, d.ruleSel),
		d.note, d.plan, d.errText)
	d.dlg = dialog.NewCustomWithoutButtons("Remediate event "+strconv.FormatInt(eventID, 10), container.NewVScroll(body), v.win)
	d.dlg.SetButtons([]fyne.CanvasObject{d.close, d.propose})
	d.dlg.Resize(fyne.NewSize(760, 560))
	d.dlg.Show()

	v.Background(func(ctx context.Context) func() {
		ev, err := v.a.Store().GetEvent(ctx, eventID)
		return func() {
			if err != nil {
				d.evText.SetText("Event " + strconv.FormatInt(eventID, 10) + " cannot be read: " + err.Error())
				d.ruleSel.Disable()
				return
			}
			d.event, d.loaded = ev, true
			d.evText.SetText("Event " + strconv.FormatInt(eventID, 10) + ": " + events.Title(ev) + ". " +
				events.Summary(ev, v.Opt.Loc))
			if d.rule == "" {
				// Start with the rule that would have proposed itself.
				for i, r := range d.rules {
					if r.Enabled && r.Matches(ev) {
						d.ruleSel.SetSelected(labels[i])
						return
					}
				}
				if len(d.rules) == 1 {
					d.ruleSel.SetSelected(labels[0])
				}
			} else {
				d.updateNote()
			}
		}
	})
}

// ruleChoice is how a rule is listed in the dialog.
func ruleChoice(r remediation.Rule) string {
	if r.Enabled {
		return viewkit.OneLine(r.Name)
	}
	return viewkit.OneLine(r.Name) + " (disabled)"
}

// choose previews rule for the event. UI goroutine.
func (d *remediateDialog) choose(rule string) {
	d.rule = rule
	d.gen++
	gen := d.gen
	d.propose.Disable()
	d.errText.Hide()
	d.plan.Objects = nil
	d.plan.Refresh()
	d.updateNote()
	d.v.Background(func(ctx context.Context) func() {
		p, err := d.v.m.Preview(ctx, d.eventID, rule)
		return func() {
			if gen != d.gen {
				return
			}
			if err != nil {
				showError(d.errText, "This rule cannot be proposed for this event: "+err.Error())
				return
			}
			d.plan.Objects = []fyne.CanvasObject{PlanDetails(p)}
			d.plan.Refresh()
			d.propose.Enable()
		}
	})
}

// updateNote says when the chosen rule would not have proposed itself.
func (d *remediateDialog) updateNote() {
	var r *remediation.Rule
	for i := range d.rules {
		if d.rules[i].Name == d.rule {
			r = &d.rules[i]
		}
	}
	var text string
	switch {
	case r == nil || !d.loaded:
	case !r.Matches(d.event) && !r.Enabled:
		text = "This rule is disabled and does not match this event; you can still propose it by hand."
	case !r.Matches(d.event):
		text = "This rule does not match this event; you can still propose it by hand."
	case !r.Enabled:
		text = "This rule is disabled; you can still propose it by hand."
	}
	d.note.SetText(text)
	setVisible(d.note, text != "")
}

// submit creates the proposal and shows it on the approval screen. UI
// goroutine.
func (d *remediateDialog) submit() {
	rule := d.rule
	if rule == "" {
		return
	}
	d.propose.Disable()
	d.errText.Hide()
	v := d.v
	v.Background(func(ctx context.Context) func() {
		id, err := v.m.Propose(ctx, d.eventID, rule)
		return func() {
			if err != nil {
				showError(d.errText, "Not proposed: "+err.Error())
				d.propose.Enable()
				return
			}
			d.dlg.Hide()
			v.selectProposal(id)
			v.reload()
			if v.onProposed != nil {
				v.onProposed(id)
			}
		}
	})
}
