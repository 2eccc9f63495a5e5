// Package approvals is the Approvals view of the main window: the
// remediation proposals awaiting a decision, the approval screen that shows
// exactly what a proposal would run, the runs in progress with their live
// output, and the history of what ran (or was refused) with its outcome.
//
// Nothing runs from here except through remediation.Manager.Approve, which
// the store makes atomic: the button is disabled while an approval is in
// flight, and a second approval of the same proposal, from here, the CLI or
// another window, is refused by the database anyway. Every query and every
// decision runs off the UI goroutine; widgets change only on it (fyne.Do).
package approvals

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const (
	// pendingLimit bounds the pending list; far more than anyone decides.
	pendingLimit = 500
	// runLimit and decidedLimit bound what the history is built from.
	runLimit     = 200
	decidedLimit = 200
	// tickEvery refreshes what depends on the clock: time left, running
	// durations, proposals that expired.
	tickEvery = 30 * time.Second
)

// View is the Approvals view. Build it with New on the UI goroutine;
// Changed may be called from any goroutine.
type View struct {
	a   *app.App
	m   *remediation.Manager
	win fyne.Window
	viewkit.Base
	// onProposed is told of a proposal Remediate made (SetOnProposed).
	onProposed func(proposalID int64)

	liveRun atomic.Int64 // the run whose output arrives by subscription, 0 if none

	// curMu guards cur, the selection as the background goroutines see it.
	curMu sync.Mutex
	cur   selection

	// UI goroutine only.
	lists     lists
	loaded    bool
	loadErr   error
	sel       selection
	syncing   bool // lists selected by the view itself, not the engineer
	approving bool
	refusedID int64            // the proposal whose last decision was refused for good
	sub       *liveSub         // nil when no run's output is followed
	remediate *remediateDialog // the last one opened

	pendingList  *widget.List
	runningList  *widget.List
	historyList  *widget.List
	pendingTitle *widget.Label
	runningTitle *widget.Label
	historyTitle *widget.Label
	pendingEmpty *widget.Label
	runningEmpty *widget.Label
	historyEmpty *widget.Label
	info         *widget.Label
	blocked      *widget.Label // rules that made no proposal, waiting on IP Fabric's API
	pane         *detailPane
	content      fyne.CanvasObject
}

// selection is what the detail pane shows: a proposal or a run.
type selection struct {
	kind selKind
	id   int64
}

type selKind int

const (
	selNone selKind = iota
	selProposal
	selRun
)

// lists is what one load reads for the three lists.
type lists struct {
	pending []store.Proposal // newest first
	running []store.Run      // queued, running, cancelling; newest first
	history []historyItem    // newest decision first
	blocked []remediation.Blocked
}

// historyItem is a run that ended, or a proposal decided without a run
// (rejected, expired).
type historyItem struct {
	run  *store.Run
	prop store.Proposal
	at   time.Time
}

func (h historyItem) sel() selection {
	if h.run != nil {
		return selection{selRun, h.run.ID}
	}
	return selection{selProposal, h.prop.ID}
}

// New builds the Approvals view and starts loading. Call it on the UI
// goroutine.
func New(a *app.App, win fyne.Window, opts ...viewkit.Option) *View {
	v := &View{a: a, m: a.Remediation(), win: win}
	v.Init(opts, viewkit.WithTick(tickEvery))
	v.build()
	v.reload()
	if v.Opt.Tick > 0 {
		// Time left moves on by itself; the view's context ends the ticker.
		v.Pending.Go(func(ctx context.Context) {
			t := time.NewTicker(v.Opt.Tick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					v.Post(v.reload)
				}
			}
		})
	}
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Shown brings the view up to date when its tab comes to the front (time
// left has moved on). UI goroutine.
func (v *View) Shown() { v.reload() }

// Changed refreshes what a change affects. It is called from the shell's
// subscription goroutine: the database is read here, and widgets are
// updated on the UI goroutine.
func (v *View) Changed(c app.Change) {
	switch c.Kind {
	case app.ProposalChanged, app.RunChanged:
		ctx, cancel := v.Query()
		defer cancel()
		l, err := v.load(ctx)
		cur := v.current()
		var d detail
		var derr error
		if cur.kind != selNone {
			d, derr = v.loadDetail(ctx, cur)
		}
		v.Post(func() {
			v.applyLists(l, err)
			if cur.kind != selNone && cur == v.sel {
				v.applyDetail(d, derr)
			}
		})
	case app.RunOutput, app.EventEnriched:
		cur := v.current()
		switch {
		case c.Kind == app.EventEnriched && cur.kind != selProposal:
			return // only the approval screen shows what IP Fabric said
		case c.Kind == app.RunOutput && (cur.kind != selRun || cur.id != c.ID || v.liveRun.Load() == c.ID):
			return // not shown, or its output arrives by subscription
		}
		ctx, cancel := v.Query()
		defer cancel()
		d, err := v.loadDetail(ctx, cur)
		if c.Kind == app.EventEnriched && (err != nil || d.prop.EventID != c.ID) {
			return // another event's lookup
		}
		v.Post(func() {
			if cur == v.sel {
				v.applyDetail(d, err)
			}
		})
	}
}

func (v *View) current() selection {
	v.curMu.Lock()
	defer v.curMu.Unlock()
	return v.cur
}

// setSel records what the detail pane shows. UI goroutine.
func (v *View) setSel(s selection) {
	v.sel = s
	v.curMu.Lock()
	v.cur = s
	v.curMu.Unlock()
}

// load reads the three lists.
func (v *View) load(ctx context.Context) (lists, error) {
	l := lists{blocked: v.m.WaitingOnIPF()}
	var err error
	if l.pending, err = v.m.Proposals(ctx, store.StatePending, pendingLimit); err != nil {
		return l, err
	}
	runs, err := v.m.Runs(ctx, runLimit)
	if err != nil {
		return l, err
	}
	for i := range runs {
		r := &runs[i]
		if active(r.State) {
			l.running = append(l.running, *r)
			continue
		}
		at := r.EndedAt
		if at.IsZero() {
			at = r.ApprovedAt
		}
		l.history = append(l.history, historyItem{run: r, at: at})
	}
	for _, state := range []string{store.StateRejected, store.StateExpired} {
		ps, err := v.m.Proposals(ctx, state, decidedLimit)
		if err != nil {
			return l, err
		}
		for _, p := range ps {
			if p.RunID == 0 {
				l.history = append(l.history, historyItem{prop: p, at: p.DecidedAt})
			}
		}
	}
	sort.SliceStable(l.history, func(i, j int) bool { return l.history[i].at.After(l.history[j].at) })
	if len(l.history) > runLimit {
		l.history = l.history[:runLimit]
	}
	return l, nil
}

// active reports whether a run is waiting, running or stopping.
func active(state string) bool {
	switch state {
	case store.StateQueued, store.StateRunning, store.StateCancelling:
		return true
	}
	return false
}

// reload reads the lists again. UI goroutine.
func (v *View) reload() {
	v.Background(func(ctx context.Context) func() {
		l, err := v.load(ctx)
		return func() { v.applyLists(l, err) }
	})
}

// applyLists shows freshly loaded lists and keeps the selection on the same
// proposal or run. UI goroutine.
func (v *View) applyLists(l lists, err error) {
	if err != nil {
		v.Opt.Log.Warn("approvals view: load failed", "err", err)
		v.loadErr = err
		v.updateInfo()
		return
	}
	v.lists, v.loaded, v.loadErr = l, true, nil
	v.pendingTitle.SetText("Awaiting approval (" + strconv.Itoa(len(l.pending)) + ")")
	v.runningTitle.SetText("Running (" + strconv.Itoa(len(l.running)) + ")")
	setVisible(v.pendingEmpty, len(l.pending) == 0)
	setVisible(v.runningEmpty, len(l.running) == 0)
	setVisible(v.historyEmpty, len(l.history) == 0)
	v.showBlocked(l.blocked)
	v.pendingList.Refresh()
	v.runningList.Refresh()
	v.historyList.Refresh()
	v.restoreSelection()
	v.pane.tick()
	v.updateInfo()
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

func (v *View) updateInfo() {
	switch {
	case v.loadErr != nil:
		v.info.SetText("Could not load proposals: " + v.loadErr.Error())
		v.info.Importance = widget.DangerImportance
	case !v.loaded:
		v.info.SetText("Loading…")
		v.info.Importance = widget.MediumImportance
	default:
		v.info.SetText("Nothing runs until you approve it. Every decision and run is recorded.")
		v.info.Importance = widget.MediumImportance
	}
	v.info.Refresh()
}

// restoreSelection marks the selected proposal or run in whichever list
// holds it now (a pending proposal moves to Running once approved, a run to
// History once it ends). UI goroutine.
func (v *View) restoreSelection() {
	v.syncing = true
	defer func() { v.syncing = false }()
	pi, ri, hi := -1, -1, -1
	switch v.sel.kind {
	case selProposal:
		for i, p := range v.lists.pending {
			if p.ID == v.sel.id {
				pi = i
			}
		}
	case selRun:
		for i, r := range v.lists.running {
			if r.ID == v.sel.id {
				ri = i
			}
		}
	}
	if pi < 0 && ri < 0 {
		for i, h := range v.lists.history {
			if h.sel() == v.sel {
				hi = i
			}
		}
	}
	mark := func(l *widget.List, i int) {
		if i >= 0 {
			l.Select(i)
		} else {
			l.UnselectAll()
		}
	}
	mark(v.pendingList, pi)
	mark(v.runningList, ri)
	mark(v.historyList, hi)
}

// selectProposal shows a proposal on the approval screen. UI goroutine.
func (v *View) selectProposal(id int64) { v.show(selection{selProposal, id}) }

// selectRun shows a run with its output. UI goroutine.
func (v *View) selectRun(id int64) { v.show(selection{selRun, id}) }

// show makes s the selection, marks it in the lists and loads it. UI
// goroutine.
func (v *View) show(s selection) {
	if s != v.sel {
		v.pane.clearError()
		if v.sub != nil && s != (selection{selRun, v.sub.runID}) {
			v.unfollow()
		}
	}
	v.setSel(s)
	v.restoreSelection()
	v.Background(func(ctx context.Context) func() {
		d, err := v.loadDetail(ctx, s)
		return func() {
			if s == v.sel {
				v.applyDetail(d, err)
			}
		}
	})
}

// detail is what the detail pane needs for a selection.
type detail struct {
	sel  selection
	prop store.Proposal
	run  *store.Run
	// What IP Fabric's API said of a proposal's event (or why that
	// cannot be read).
	enr    enrich.Result
	enrErr error
}

func (v *View) loadDetail(ctx context.Context, s selection) (detail, error) {
	d := detail{sel: s}
	switch s.kind {
	case selProposal:
		p, err := v.m.Proposal(ctx, s.id)
		d.prop = p
		if err == nil {
			ev := p.Event
			ev.ID = p.EventID
			d.enr, d.enrErr = enrich.Load(ctx, v.a.Store(), ev)
		}
		return d, err
	case selRun:
		r, err := v.m.Run(ctx, s.id)
		if err != nil {
			return d, err
		}
		d.run = &r
		p, err := v.m.Proposal(ctx, r.ProposalID)
		d.prop = p
		return d, err
	}
	return d, nil
}

// applyDetail shows a loaded selection. UI goroutine.
func (v *View) applyDetail(d detail, err error) {
	if err != nil {
		v.Opt.Log.Warn("approvals view: load failed", "err", err)
		v.pane.showLoadError(err)
		return
	}
	if d.run == nil {
		v.pane.showProposal(d)
		return
	}
	v.pane.showRun(*d.run, d.prop)
	v.follow(*d.run)
}

// build creates the widgets. UI goroutine.
func (v *View) build() {
	v.pane = newDetailPane(v)
	v.pendingList = widget.NewList(func() int { return len(v.lists.pending) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lists.pending) {
			setRow(o, pendingRow(v.lists.pending[i], v.Opt.Now()))
		}
	})
	v.runningList = widget.NewList(func() int { return len(v.lists.running) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lists.running) {
			setRow(o, runningRow(v.lists.running[i], v.Opt.Now(), v.Opt.Loc))
		}
	})
	v.historyList = widget.NewList(func() int { return len(v.lists.history) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lists.history) {
			setRow(o, historyRow(v.lists.history[i], v.Opt.Loc))
		}
	})
	v.pendingList.OnSelected = func(i widget.ListItemID) {
		if !v.syncing && i < len(v.lists.pending) {
			v.selectProposal(v.lists.pending[i].ID)
		}
	}
	v.runningList.OnSelected = func(i widget.ListItemID) {
		if !v.syncing && i < len(v.lists.running) {
			v.selectRun(v.lists.running[i].ID)
		}
	}
	v.historyList.OnSelected = func(i widget.ListItemID) {
		if !v.syncing && i < len(v.lists.history) {
			v.show(v.lists.history[i].sel())
		}
	}

	bold := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	empty := func(s string) *widget.Label {
		l := widget.NewLabel(s)
		l.Importance = widget.LowImportance
		l.Wrapping = fyne.TextWrapWord
		l.Hide()
		return l
	}
	v.pendingTitle = bold("Awaiting approval")
	v.runningTitle = bold("Running")
	v.historyTitle = bold("History")
	v.pendingEmpty = empty("Nothing awaits approval.")
	v.runningEmpty = empty("Nothing is running.")
	v.historyEmpty = empty("Nothing has been decided yet.")
	section := func(title, emptyLabel *widget.Label, l *widget.List) fyne.CanvasObject {
		return container.NewBorder(title, nil, nil, nil, container.NewStack(l, emptyLabel))
	}
	// What awaits a decision comes first and gets half the height, so a
	// few proposals show in full; running and history share the rest.
	// The engineer can move both dividers.
	rest := container.NewVSplit(
		section(v.runningTitle, v.runningEmpty, v.runningList),
		section(v.historyTitle, v.historyEmpty, v.historyList))
	rest.Offset = 0.4
	left := container.NewVSplit(section(v.pendingTitle, v.pendingEmpty, v.pendingList), rest)
	left.Offset = 0.5

	v.info = widget.NewLabel("")
	v.info.Wrapping = fyne.TextWrapWord
	v.updateInfo()
	split := container.NewHSplit(left, v.pane.root)
	split.Offset = 0.36
	v.blocked = newBlockedLabel()
	v.content = container.NewBorder(v.blocked, v.info, nil, nil, split)
}

// SetOnProposed sets what is called on the UI goroutine after Remediate
// created a proposal and selected it, so the shell can bring this view to
// the front.
func (v *View) SetOnProposed(fn func(proposalID int64)) { v.onProposed = fn }
