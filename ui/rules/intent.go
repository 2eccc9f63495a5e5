package rules

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/approvals"
	"github.com/ipfwatch/ipfwatch/ui/events"
)

// colorChoices are the intent check colours a rule can count, worst first.
var colorChoices = []string{ipf.Red.String(), ipf.Amber.String(), ipf.Blue.String(), ipf.Green.String()}

// intentFields are the form's intent condition: off, or which checks, of
// which colour, with at least how many rows.
type intentFields struct {
	on    *widget.Check
	check *widget.Entry
	color *widget.Select
	min   *widget.Entry
}

func newIntentFields() intentFields {
	f := intentFields{
		check: widget.NewEntry(),
		color: widget.NewSelect(colorChoices, nil),
		min:   widget.NewEntry(),
	}
	f.on = widget.NewCheck("Only for failing intent checks", func(bool) { f.enable() })
	f.check.SetPlaceHolder("any check")
	f.min.SetPlaceHolder("1")
	f.set(nil)
	return f
}

// rows lays out the colour and the minimum on one line.
func (f intentFields) rows() fyne.CanvasObject {
	return container.NewHBox(widget.NewLabel("at least"), container.NewGridWrap(fyne.NewSize(70, f.min.MinSize().Height), f.min),
		f.color, widget.NewLabel("rows"))
}

// set shows m, or the defaults of a new condition when m is nil.
func (f intentFields) set(m *remediation.IntentMatch) {
	f.on.SetChecked(m != nil)
	f.check.SetText("")
	f.color.SetSelected(ipf.Red.String())
	f.min.SetText("")
	if m != nil {
		f.check.SetText(m.Check)
		f.color.SetSelected(m.ColorName())
		if m.Min > 0 {
			f.min.SetText(strconv.Itoa(m.Min))
		}
	}
	f.enable()
}

// enable makes the condition's fields editable only while it is on.
func (f intentFields) enable() {
	for _, w := range []fyne.Disableable{f.check, f.color, f.min} {
		if f.on.Checked {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// match reads the condition: nil when it is off.
func (f intentFields) match() (*remediation.IntentMatch, error) {
	if !f.on.Checked {
		return nil, nil
	}
	m := &remediation.IntentMatch{Check: strings.TrimSpace(f.check.Text), Color: f.color.Selected}
	if s := strings.TrimSpace(f.min.Text); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("intent rows: %q is not a whole number of at least 1", s)
		}
		m.Min = n
	}
	return m, nil
}

// intentSummary says which checks an intent condition selects, as in
// "intent checks NTP* with at least 1 red row".
func intentSummary(m remediation.IntentMatch) string {
	which := "any intent check"
	if m.Check != "" {
		which = "intent checks " + approvals.DisplayArg(m.Check)
	}
	return fmt.Sprintf("%s with at least %d %s %s", which, m.MinRows(), m.ColorName(), plural(m.MinRows(), "row", "rows"))
}

// maxTestedChecks bounds the checks a test lists by name.
const maxTestedChecks = 10

// evaluateIntent is evaluate for a rule with an intent condition and an
// event it matches: which of the event's intent checks, as IP Fabric's API
// gave them, would each get a proposal, and the plan of the first; or why
// none would (not looked up yet, or no check meets the condition).
func (v *View) evaluateIntent(ctx context.Context, r remediation.Rule, ev webhook.Event, what string) outcome {
	in := *r.Match.Intent
	res, err := enrich.Load(ctx, v.a.Store(), ev)
	if err != nil {
		return outcome{"Could not read what IP Fabric's API said of the event: " + err.Error(), widget.DangerImportance, nil}
	}
	if res.State != store.EnrichDone {
		return outcome{what + " matches, but the rule waits for its intent checks from IP Fabric's API, and has none yet: " +
			events.EnrichmentState(res, v.Opt.Loc), widget.WarningImportance, nil}
	}
	meeting := in.Checks(res.Checks)
	if len(meeting) == 0 {
		return outcome{fmt.Sprintf("%s would get no proposal from this rule: none of its %d intent checks is among %s.",
			what, len(res.Checks), intentSummary(in)), widget.WarningImportance, nil}
	}
	var names []string
	for i, k := range meeting {
		if i == maxTestedChecks {
			names = append(names, fmt.Sprintf("and %d more", len(meeting)-i))
			break
		}
		names = append(names, events.CheckLine(k))
	}
	p, err := remediation.ResolveCheck(r, ev, meeting[0])
	if err != nil {
		return outcome{what + " matches, but would get no proposal: " + err.Error() + ".", widget.DangerImportance, nil}
	}
	verdict := fmt.Sprintf("%s matches. %d of its %d intent checks %s among %s, and each would get a proposal of its own: %s. ",
		what, len(meeting), len(res.Checks), plural(len(meeting), "is", "are"), intentSummary(in), strings.Join(names, "; "))
	if !r.Enabled {
		verdict += "The rule is disabled, so it proposes nothing by itself. "
	}
	verdict += "The proposal for " + strconv.Quote(meeting[0].Name) + " would run:"
	return outcome{verdict, widget.SuccessImportance, &p}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
