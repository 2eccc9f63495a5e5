package rules

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/approvals"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// recentEvents is how many of the latest events the tester offers.
const recentEvents = 20

// tester shows what a rule would propose for a stored event: the plan, or
// why there would be none. It only reads: nothing is proposed, run or
// written.
type tester struct {
	v      *View
	rule   string
	events []webhook.Event
	gen    int // bumped per test: older answers are dropped

	title    *widget.Label
	eventSel *widget.Select
	idEntry  *widget.Entry
	testBtn  *widget.Button
	verdict  *widget.Label
	plan     *fyne.Container
	root     fyne.CanvasObject
}

func newTester(v *View) *tester {
	t := &tester{v: v}
	t.title = viewkit.Heading("")
	t.eventSel = widget.NewSelect(nil, func(label string) {
		for i, ev := range t.events {
			if eventChoice(ev, v) == label {
				t.idEntry.SetText(strconv.FormatInt(t.events[i].ID, 10))
				t.test(t.events[i].ID)
			}
		}
	})
	t.eventSel.PlaceHolder = "Choose one of the latest events"
	t.idEntry = widget.NewEntry()
	t.idEntry.SetPlaceHolder("event id")
	t.idEntry.OnSubmitted = func(string) { t.submit() }
	t.testBtn = widget.NewButton("Test", t.submit)
	t.verdict = viewkit.Wrapped("")
	t.plan = container.NewStack()
	closeBtn := widget.NewButton("Close", func() { v.showPane(v.hint) })
	note := widget.NewLabel("This only shows what would be proposed: nothing is proposed, run or saved.")
	note.Wrapping = fyne.TextWrapWord
	byID := container.NewBorder(nil, nil, widget.NewLabel("or event id"), t.testBtn, t.idEntry)
	body := container.NewVBox(note, t.eventSel, byID, t.verdict, t.plan)
	t.root = container.NewBorder(t.title, container.NewHBox(closeBtn), nil, nil, container.NewVScroll(body))
	t.root.Hide()
	return t
}

// eventChoice is how an event is listed.
func eventChoice(ev webhook.Event, v *View) string {
	s := "#" + strconv.FormatInt(ev.ID, 10) + "  " + ev.ReceivedAt.In(v.Opt.Loc).Format("2006-01-02 15:04:05") + "  " + events.Title(ev)
	if ev.SnapshotName != "" {
		s += "  " + ev.SnapshotName
	} else if ev.SnapshotID != "" {
		s += "  " + ev.SnapshotID
	}
	return viewkit.OneLine(s)
}

// open shows the tester for rule r and loads the latest events. UI
// goroutine.
func (t *tester) open(r remediation.Rule) {
	t.rule = r.Name
	t.gen++
	t.title.SetText("Test rule " + r.Name + " against a stored event")
	t.verdict.SetText("")
	t.verdict.Hide()
	t.plan.Objects = nil
	t.plan.Refresh()
	t.idEntry.SetText("")
	t.eventSel.ClearSelected()
	t.v.showPane(t.root)
	t.v.Background(func(ctx context.Context) func() {
		evs, err := t.v.a.Store().ListEvents(ctx, store.EventFilter{Limit: recentEvents})
		return func() {
			if err != nil {
				t.say("Could not load the latest events: "+err.Error(), widget.DangerImportance)
				return
			}
			t.events = evs
			labels := make([]string, len(evs))
			for i, ev := range evs {
				labels[i] = eventChoice(ev, t.v)
			}
			t.eventSel.SetOptions(labels)
			if len(evs) == 0 {
				t.say("No events stored yet. Once IP Fabric sends one (or `ipfwatch send`), test against it here.", widget.MediumImportance)
			}
		}
	})
}

// submit tests against the event id typed in. UI goroutine.
func (t *tester) submit() {
	id, err := strconv.ParseInt(strings.TrimSpace(t.idEntry.Text), 10, 64)
	if err != nil || id <= 0 {
		t.plan.Objects = nil
		t.plan.Refresh()
		t.say("Enter an event id (a positive number), or choose an event above.", widget.DangerImportance)
		return
	}
	t.test(id)
}

func (t *tester) say(text string, imp widget.Importance) {
	t.verdict.SetText(text)
	t.verdict.Importance = imp
	t.verdict.Refresh()
	t.verdict.Show()
}

// test works out what the rule would do for event id, off the UI
// goroutine. UI goroutine.
func (t *tester) test(id int64) {
	t.gen++
	gen, name := t.gen, t.rule
	r, ok := t.v.selectedRuleNamed(name)
	t.plan.Objects = nil
	t.plan.Refresh()
	if !ok {
		t.say("The rule "+name+" no longer exists.", widget.DangerImportance)
		return
	}
	t.say("Testing against event "+strconv.FormatInt(id, 10)+"…", widget.MediumImportance)
	t.v.Background(func(ctx context.Context) func() {
		o := t.v.evaluate(ctx, r, id)
		return func() {
			if gen != t.gen {
				return
			}
			t.say(o.verdict, o.imp)
			switch {
			case o.plan != nil && r.Match.Intent != nil:
				t.plan.Objects = []fyne.CanvasObject{approvals.CheckPlanDetails(*o.plan)}
			case o.plan != nil:
				t.plan.Objects = []fyne.CanvasObject{approvals.PlanDetails(*o.plan)}
			}
			t.plan.Refresh()
		}
	})
}

func (v *View) selectedRuleNamed(name string) (remediation.Rule, bool) {
	if i := v.index(name); i >= 0 {
		return v.rules[i], true
	}
	return remediation.Rule{}, false
}

// outcome is what a test found: the verdict in words, how it reads (a
// match, a miss, an error), and the plan a proposal would freeze, if any.
type outcome struct {
	verdict string
	imp     widget.Importance
	plan    *remediation.Plan
}

// evaluate says what rule r would do for event id: the plan it would
// propose, or why there would be no proposal. It reads only.
func (v *View) evaluate(ctx context.Context, r remediation.Rule, id int64) outcome {
	ev, err := v.a.Store().GetEvent(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return outcome{fmt.Sprintf("There is no event %d.", id), widget.DangerImportance, nil}
	}
	if err != nil {
		return outcome{"Could not read the event: " + err.Error(), widget.DangerImportance, nil}
	}
	what := fmt.Sprintf("Event %d (%s)", id, events.Title(ev))
	if why := mismatch(r.Match, ev); why != "" {
		return outcome{what + " would get no proposal from this rule: " + why + ". (Remediate… on the event can still propose it by hand.)",
			widget.WarningImportance, nil}
	}
	if r.Match.Intent != nil {
		return v.evaluateIntent(ctx, r, ev, what)
	}
	p, err := v.m.Preview(ctx, id, r.Name)
	if err != nil {
		return outcome{what + " matches, but would get no proposal: " + err.Error() + ". (Only letters, digits, '-', '_' and '$' may reach an argument.)",
			widget.DangerImportance, nil}
	}
	verdict := what + " matches. The proposal would run:"
	if !r.Enabled {
		verdict = what + " matches, but the rule is disabled, so it proposes nothing by itself. Enabled, or by hand, the proposal would run:"
	}
	return outcome{verdict, widget.SuccessImportance, &p}
}

// mismatch says why a match does not select ev, or "" if it does.
func mismatch(m remediation.Match, ev webhook.Event) string {
	var why []string
	if ev.Test && !m.Test {
		why = append(why, "it is a test webhook and the rule does not match test webhooks")
	}
	for _, f := range []struct{ name, want, got string }{
		{"type", m.Type, ev.Type}, {"action", m.Action, ev.Action},
		{"status", m.Status, ev.Status}, {"requester", m.Requester, ev.Requester},
	} {
		if f.want != "" && f.want != f.got {
			why = append(why, fmt.Sprintf("its %s is %s, the rule wants %s", f.name, approvals.DisplayArg(f.got), approvals.DisplayArg(f.want)))
		}
	}
	return strings.Join(why, "; ")
}
