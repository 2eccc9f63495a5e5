package approvals

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// detailPane is the right-hand pane: the approval screen of a proposal, or a
// run with its output. Everything in it is plain text; event fields and
// program output are untrusted.
type detailPane struct {
	v           *View
	placeholder *widget.Label
	loadErr     *widget.Label

	// The approval screen.
	prop      store.Proposal
	propBox   *fyne.Container
	propRoot  *container.Scroll
	pTitle    *widget.Label
	pState    *widget.Label
	pEvent    *widget.Label
	pSummary  *widget.Label
	pIPF      *widget.Label   // what IP Fabric's API said of the event
	pCheck    *fyne.Container // the intent check proposed for, if any
	pPlan     *fyne.Container
	approve   *widget.Button
	reject    *widget.Button
	toRun     *widget.Button
	pErr      *widget.Label
	rejectDlg *dialog.ConfirmDialog
	comment   *widget.Entry

	// The run screen.
	run       store.Run
	runRoot   *fyne.Container
	rTitle    *widget.Label
	rFacts    *widget.Label
	rCommand  *widget.Label
	cancel    *widget.Button
	rErr      *widget.Label
	output    *widget.Label
	outScroll *container.Scroll

	root *fyne.Container
}

func newDetailPane(v *View) *detailPane {
	s := &detailPane{v: v}
	bold := func() *widget.Label { return viewkit.Heading("") }
	wrapped := func() *widget.Label { return viewkit.Wrapped("") }
	danger := viewkit.ErrorText
	s.placeholder = widget.NewLabel("Select a proposal to see exactly what it would run.")
	s.placeholder.Wrapping = fyne.TextWrapWord
	s.loadErr = danger()

	s.pTitle = bold()
	s.pState = wrapped()
	s.pEvent = wrapped()
	s.pSummary = wrapped()
	s.pIPF = wrapped()
	s.pCheck = container.NewStack()
	s.pPlan = container.NewStack()
	s.approve = widget.NewButton("Approve & run", v.approve)
	s.approve.Importance = widget.HighImportance
	s.reject = widget.NewButton("Reject…", v.askReject)
	s.toRun = widget.NewButton("Show run", func() {
		if s.prop.RunID != 0 {
			v.selectRun(s.prop.RunID)
		}
	})
	s.pErr = danger()
	s.propBox = container.NewVBox(s.pTitle, s.pState,
		heading("Event"), s.pEvent, s.pSummary, s.pIPF, s.pCheck,
		heading("What will run"), s.pPlan,
		container.NewHBox(s.approve, s.reject, s.toRun), s.pErr)
	s.propRoot = container.NewVScroll(s.propBox)
	s.propRoot.Hide()

	s.rTitle = bold()
	s.rFacts = wrapped()
	s.rFacts.Selectable = true
	s.rCommand = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.rCommand.Wrapping = fyne.TextWrapBreak
	s.rCommand.Selectable = true
	s.cancel = widget.NewButton("Cancel run", v.cancelRun)
	s.cancel.Importance = widget.DangerImportance
	s.rErr = danger()
	s.output = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.output.Selectable = true
	s.outScroll = container.NewScroll(s.output)
	top := container.NewVBox(s.rTitle, s.rFacts, heading("Command"), s.rCommand,
		container.NewHBox(s.cancel), s.rErr, heading("Output"))
	s.runRoot = container.NewBorder(top, nil, nil, nil, s.outScroll)
	s.runRoot.Hide()

	s.root = container.NewStack(container.NewVBox(s.placeholder, s.loadErr), s.propRoot, s.runRoot)
	return s
}

// heading is the title of a part of the pane.
func heading(t string) *widget.Label {
	return widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// showLoadError says the selection could not be read.
func (s *detailPane) showLoadError(err error) {
	s.propRoot.Hide()
	s.runRoot.Hide()
	s.placeholder.Hide()
	s.loadErr.SetText("Could not load it: " + err.Error())
	s.loadErr.Show()
	s.root.Refresh()
}

func (s *detailPane) clearError() {
	s.pErr.Hide()
	s.rErr.Hide()
}

func showError(l *widget.Label, text string) {
	l.SetText(text)
	l.Show()
}

// showProposal fills the approval screen; d holds the proposal and what IP
// Fabric's API said of its event. UI goroutine.
func (s *detailPane) showProposal(d detail) {
	p := d.prop
	s.prop = p
	s.placeholder.Hide()
	s.loadErr.Hide()
	s.runRoot.Hide()

	title := "Proposal " + strconv.FormatInt(p.ID, 10) + ": rule " + viewkit.OneLine(p.Rule)
	if p.Manual {
		title += " (proposed by hand)"
	}
	s.pTitle.SetText(title)
	s.pEvent.SetText(events.Title(p.Event) + " (event " + strconv.FormatInt(p.EventID, 10) +
		", received " + p.Event.ReceivedAt.In(s.v.Opt.Loc).Format(timeLayout) + ")")
	s.pSummary.SetText(events.Summary(p.Event, s.v.Opt.Loc))
	s.pIPF.SetText(enrichmentLine(p, d.enr, d.enrErr, s.v.Opt.Loc))
	s.pCheck.Objects = nil
	if p.Check != nil {
		s.pCheck.Objects = []fyne.CanvasObject{container.NewVBox(heading("Intent check"), CheckDetails(*p.Check))}
		s.pPlan.Objects = []fyne.CanvasObject{CheckPlanDetails(planOf(p))}
	} else {
		s.pPlan.Objects = []fyne.CanvasObject{PlanDetails(planOf(p))}
	}
	s.pCheck.Refresh()
	s.pPlan.Refresh()
	s.propRoot.Show()
	s.updateProposalState()
	s.propRoot.ScrollToTop()
	s.root.Refresh()
}

// tick brings what depends on the clock up to date: time left, whether
// Approve is still possible, a running duration. UI goroutine.
func (s *detailPane) tick() {
	if s.propRoot.Visible() {
		s.updateProposalState()
	}
	if s.runRoot.Visible() {
		s.rFacts.SetText(s.runFacts(s.run))
	}
}

func (s *detailPane) updateProposalState() {
	p, now, loc := s.prop, s.v.Opt.Now(), s.v.Opt.Loc
	open := p.State == store.StatePending && p.ExpiresAt.After(now)
	var state string
	switch {
	case open:
		state = "Awaiting your approval: " + timeLeft(p.ExpiresAt.Sub(now)) +
			" (at " + p.ExpiresAt.In(loc).Format(timeLayout) + "). Nothing runs until you approve it."
	case p.State == store.StatePending || p.State == store.StateExpired:
		state = "Expired at " + p.ExpiresAt.In(loc).Format(timeLayout) + " without a decision; it can no longer be approved."
	case p.State == store.StateRejected:
		state = "Rejected by " + viewkit.OneLine(p.DecidedBy) + " at " + p.DecidedAt.In(loc).Format(timeLayout) + "."
		if p.Comment != "" {
			state += " Comment: " + viewkit.OneLine(p.Comment)
		}
	default:
		state = "Approved by " + viewkit.OneLine(p.DecidedBy) + " at " + p.DecidedAt.In(loc).Format(timeLayout) +
			"; its run is " + stateLabel(p.State) + "."
	}
	s.pState.SetText(state)
	setVisible(s.approve, open)
	setVisible(s.reject, open)
	if open && !s.v.approving && !s.refused() {
		s.approve.Enable()
		s.reject.Enable()
	} else {
		s.approve.Disable()
		s.reject.Disable()
	}
	setVisible(s.toRun, p.RunID != 0)
}

// refused reports whether the last decision on the shown proposal was
// refused for good (expired, decided, gone): the buttons stay off.
func (s *detailPane) refused() bool { return s.pErr.Visible() && s.v.refusedID == s.prop.ID }

// showRun fills the run screen. UI goroutine.
func (s *detailPane) showRun(r store.Run, p store.Proposal) {
	s.run, s.prop = r, p
	s.placeholder.Hide()
	s.loadErr.Hide()
	s.propRoot.Hide()
	s.rTitle.SetText("Run " + strconv.FormatInt(r.ID, 10) + ": rule " + viewkit.OneLine(r.Rule) +
		" (proposal " + strconv.FormatInt(r.ProposalID, 10) + ", " + events.Title(p.Event) + ")")
	s.rFacts.SetText(s.runFacts(r))
	lines := make([]string, len(p.Argv))
	for i, a := range p.Argv {
		lines[i] = DisplayArg(a)
	}
	s.rCommand.SetText(strings.Join(lines, "\n") + "\n(in " + DisplayArg(p.Workdir) + ")")
	switch r.State {
	case store.StateQueued, store.StateRunning:
		s.cancel.SetText("Cancel run")
		s.cancel.Show()
		s.cancel.Enable()
	case store.StateCancelling:
		s.cancel.SetText("Cancelling…")
		s.cancel.Show()
		s.cancel.Disable()
	default:
		s.cancel.Hide()
	}
	s.setOutput(r.Output, r.ID)
	s.runRoot.Show()
	s.root.Refresh()
}

// runFacts is the state, exit code, times and approver of a run.
func (s *detailPane) runFacts(r store.Run) string {
	loc := s.v.Opt.Loc
	var b strings.Builder
	fmt.Fprintf(&b, "State: %s\n", stateLabel(r.State))
	if r.ExitCode != nil {
		fmt.Fprintf(&b, "Exit code: %d\n", *r.ExitCode)
	} else if !r.EndedAt.IsZero() {
		b.WriteString("Exit code: none (the program did not exit by itself)\n")
	}
	fmt.Fprintf(&b, "Approved by %s at %s\n", viewkit.OneLine(r.ApprovedBy), r.ApprovedAt.In(loc).Format(timeLayout))
	if !r.StartedAt.IsZero() {
		fmt.Fprintf(&b, "Started: %s\n", r.StartedAt.In(loc).Format(timeLayout))
	}
	if !r.EndedAt.IsZero() {
		fmt.Fprintf(&b, "Ended: %s\n", r.EndedAt.In(loc).Format(timeLayout))
	}
	if !r.StartedAt.IsZero() {
		fmt.Fprintf(&b, "Duration: %s\n", elapsed(r.Duration(s.v.Opt.Now())))
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "Error: %s\n", viewkit.OneLine(r.Error))
	}
	if r.Truncated {
		b.WriteString("Output was cut at the size limit; the marker shows where.\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// setOutput shows a run's output, keeping the view at the end if it was
// there (following a live run). UI goroutine.
func (s *detailPane) setOutput(out []byte, runID int64) {
	text := OutputText(out, runID)
	if text == "" {
		text = "(no output yet)"
		if s.run.ID == runID && !s.run.EndedAt.IsZero() {
			text = "(no output)"
		}
	}
	if text == s.output.Text {
		return
	}
	atEnd := s.outScroll.Offset.Y+s.outScroll.Size().Height >= s.outScroll.Content.MinSize().Height-4
	s.output.SetText(text)
	if atEnd {
		s.outScroll.ScrollToBottom()
	}
}

// approve approves the shown proposal off the UI goroutine. The button is
// disabled until the answer is back, so a double click cannot approve
// twice (the store refuses a second approval anyway). UI goroutine.
func (v *View) approve() {
	p := v.pane.prop
	if v.approving || p.ID == 0 || p.State != store.StatePending {
		return
	}
	v.approving = true
	v.pane.approve.Disable()
	v.pane.reject.Disable()
	v.pane.pErr.Hide()
	v.Background(func(ctx context.Context) func() {
		runID, err := v.m.Approve(ctx, p.ID)
		return func() {
			v.approving = false
			if err != nil {
				v.refuse(p.ID, "Not approved: ", err)
				v.reload()
				return
			}
			v.selectRun(runID)
			v.reload()
		}
	})
}

// refuse shows why a decision failed on the approval screen. A refusal for
// good (expired, already decided, gone) leaves the buttons off; anything
// else (the database was busy) lets the engineer try again. UI goroutine.
func (v *View) refuse(id int64, prefix string, err error) {
	v.Opt.Log.Warn("approvals view: decision refused", "proposal", id, "err", err)
	if errors.Is(err, remediation.ErrExpired) || errors.Is(err, remediation.ErrDecided) || errors.Is(err, remediation.ErrNotFound) {
		v.refusedID = id
	} else {
		v.refusedID = 0
	}
	if v.sel != (selection{selProposal, id}) {
		return
	}
	showError(v.pane.pErr, prefix+err.Error())
	v.pane.updateProposalState()
}

// askReject asks for an optional comment, then rejects the shown proposal.
// UI goroutine.
func (v *View) askReject() {
	p := v.pane.prop
	if p.ID == 0 || p.State != store.StatePending {
		return
	}
	s := v.pane
	s.comment = widget.NewMultiLineEntry()
	s.comment.SetPlaceHolder("Why not? (optional, kept with the decision)")
	s.comment.SetMinRowsVisible(3)
	text := widget.NewLabel("Nothing will run. The proposal cannot be approved afterwards.")
	text.Wrapping = fyne.TextWrapWord
	s.rejectDlg = dialog.NewCustomConfirm("Reject proposal "+strconv.FormatInt(p.ID, 10)+"?", "Reject", "Keep it",
		container.NewVBox(text, s.comment), func(ok bool) {
			if ok {
				v.rejectProposal(p.ID, s.comment.Text)
			}
		}, v.win)
	s.rejectDlg.Resize(fyne.NewSize(460, 260))
	s.rejectDlg.Show()
	v.win.Canvas().Focus(s.comment)
}

func (v *View) rejectProposal(id int64, comment string) {
	v.pane.approve.Disable()
	v.pane.reject.Disable()
	v.Background(func(ctx context.Context) func() {
		err := v.m.Reject(ctx, id, strings.TrimSpace(comment))
		return func() {
			if err != nil {
				v.refuse(id, "Not rejected: ", err)
			} else if v.sel == (selection{selProposal, id}) {
				v.show(v.sel)
			}
			v.reload()
		}
	})
}

// cancelRun asks the runner to stop the shown run. UI goroutine.
func (v *View) cancelRun() {
	r := v.pane.run
	if r.ID == 0 {
		return
	}
	v.pane.cancel.Disable()
	v.pane.rErr.Hide()
	v.Background(func(context.Context) func() {
		err := v.m.Cancel(r.ID)
		return func() {
			if err != nil && v.sel == (selection{selRun, r.ID}) {
				showError(v.pane.rErr, "Not cancelled: "+err.Error())
			}
			if v.sel == (selection{selRun, r.ID}) {
				v.show(v.sel)
			}
			v.reload()
		}
	})
}
