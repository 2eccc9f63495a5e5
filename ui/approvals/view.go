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
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/internal/async"
)

const (
	// pendingLimit bounds the pending list; far more than anyone decides.
	pendingLimit = 500
	// runLimit and decidedLimit bound what the history is built from.
	runLimit     = 200
	decidedLimit = 200
	// queryTimeout bounds one load; a stuck database must not leave the
	// view waiting forever.
	queryTimeout = 30 * time.Second
	// tickEvery refreshes what depends on the clock: time left, running
	// durations, proposals that expired.
	tickEvery = 30 * time.Second
)

// Option changes how New builds the view.
type Option func(*options)

type options struct {
	loc *time.Location
	now func() time.Time
	// do runs a function on the UI goroutine. It is fyne.Do; tests replace
	// it with a queue they drain on their own goroutine.
	do         func(func())
	log        *slog.Logger
	tick       time.Duration // 0: no periodic refresh (tests)
	onProposed func(proposalID int64)
}

// WithLocation shows times in loc instead of the local time zone.
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithNow sets the clock for time left and durations (default time.Now).
// Give it the App's clock, so the view and the store agree on expiry.
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets where failures are logged (default slog.Default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithOnProposed is called on the UI goroutine after Remediate created a
// proposal and selected it, so the shell can bring this view to the front.
func WithOnProposed(fn func(proposalID int64)) Option {
	return func(o *options) { o.onProposed = fn }
}

// View is the Approvals view. Build it with New on the UI goroutine;
// Changed may be called from any goroutine.
type View struct {
	a   *app.App
	m   *remediation.Manager
	win fyne.Window
	opt options

	pending async.Tracker // background work not yet applied, so tests can wait for quiet
	loads   atomic.Int64  // list loads, for tests
	liveRun atomic.Int64  // the run whose output arrives by subscription, 0 if none

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
	screen       *screen
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
func New(a *app.App, win fyne.Window, opts ...Option) *View {
	v := &View{a: a, m: a.Remediation(), win: win,
		opt: options{loc: time.Local, now: time.Now, do: fyne.Do, log: slog.Default(), tick: tickEvery}}
	for _, o := range opts {
		o(&v.opt)
	}
	v.build()
	v.reload()
	if v.opt.tick > 0 {
		// Time left moves on by itself; the view's context ends the ticker.
		v.pending.Go(func(ctx context.Context) {
			t := time.NewTicker(v.opt.tick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					v.post(v.reload)
				}
			}
		})
	}
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop ends the view's context and waits for its goroutines: the shell
// calls it before the window goes for good.
func (v *View) Stop() { v.pending.Stop() }

// Shown brings the view up to date when its tab comes to the front (time
// left has moved on). UI goroutine.
func (v *View) Shown() { v.reload() }

// Changed refreshes what a change affects. It is called from the shell's
// subscription goroutine: the database is read here, and widgets are
// updated on the UI goroutine.
func (v *View) Changed(c app.Change) {
	switch c.Kind {
	case app.ProposalChanged, app.RunChanged:
		ctx, cancel := context.WithTimeout(v.pending.Context(), queryTimeout)
		defer cancel()
		l, err := v.load(ctx)
		cur := v.current()
		var d detail
		var derr error
		if cur.kind != selNone {
			d, derr = v.loadDetail(ctx, cur)
		}
		v.post(func() {
			v.applyLists(l, err)
			if cur.kind != selNone && cur == v.sel {
				v.applyDetail(d, derr)
			}
		})
	case app.RunOutput:
		cur := v.current()
		if cur.kind != selRun || cur.id != c.ID || v.liveRun.Load() == c.ID {
			return // not shown, or its output arrives by subscription
		}
		ctx, cancel := context.WithTimeout(v.pending.Context(), queryTimeout)
		defer cancel()
		d, err := v.loadDetail(ctx, cur)
		v.post(func() {
			if cur == v.sel {
				v.applyDetail(d, err)
			}
		})
	}
}

// post runs fn on the UI goroutine, counted as pending until it has run.
func (v *View) post(fn func()) { v.pending.Post(v.opt.do, fn) }

// background runs work off the UI goroutine and then the function it
// returns (if any) on the UI goroutine.
func (v *View) background(work func(ctx context.Context) func()) {
	v.pending.Background(v.opt.do, queryTimeout, work)
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
	v.loads.Add(1)
	var l lists
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
	v.background(func(ctx context.Context) func() {
		l, err := v.load(ctx)
		return func() { v.applyLists(l, err) }
	})
}

// applyLists shows freshly loaded lists and keeps the selection on the same
// proposal or run. UI goroutine.
func (v *View) applyLists(l lists, err error) {
	if err != nil {
		v.opt.log.Warn("approvals view: load failed", "err", err)
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
	v.pendingList.Refresh()
	v.runningList.Refresh()
	v.historyList.Refresh()
	v.restoreSelection()
	v.screen.tick()
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
		v.screen.clearError()
		if v.sub != nil && s != (selection{selRun, v.sub.runID}) {
			v.unfollow()
		}
	}
	v.setSel(s)
	v.restoreSelection()
	v.background(func(ctx context.Context) func() {
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
}

func (v *View) loadDetail(ctx context.Context, s selection) (detail, error) {
	d := detail{sel: s}
	switch s.kind {
	case selProposal:
		p, err := v.m.Proposal(ctx, s.id)
		d.prop = p
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
		v.opt.log.Warn("approvals view: load failed", "err", err)
		v.screen.showLoadError(err)
		return
	}
	if d.run == nil {
		v.screen.showProposal(d.prop)
		return
	}
	v.screen.showRun(*d.run, d.prop)
	v.follow(*d.run)
}

// liveSub is the subscription to the output of the run shown, while this
// process runs it.
type liveSub struct {
	runID  int64
	cancel func()
	mu     sync.Mutex // guards out between the reader goroutine and the UI
	out    []byte
	queued atomic.Bool // a flush to the UI is posted and not yet run
}

// follow subscribes to the output of the shown run once it is running. A
// run executed by this process streams it; for one executed by another
// process the channel closes at once, and RunOutput changes re-read it
// instead. UI goroutine.
func (v *View) follow(r store.Run) {
	if v.sub != nil && v.sub.runID == r.ID {
		return // already following it (or it is not ours to follow)
	}
	if r.State != store.StateRunning && r.State != store.StateCancelling {
		return // queued: follow once it starts; ended: nothing to follow
	}
	v.unfollow()
	ch, cancel := v.m.Subscribe(r.ID)
	s := &liveSub{runID: r.ID, cancel: cancel}
	v.sub = s
	v.liveRun.Store(r.ID)
	v.pending.Go(func(ctx context.Context) {
		got := false
		for open := true; open; {
			select {
			case <-ctx.Done():
				cancel() // the view is going: stop following
				return
			case chunk, ok := <-ch:
				if open = ok; !ok {
					break
				}
				got = true
				s.mu.Lock()
				s.out = append(s.out, chunk...)
				s.mu.Unlock()
				if s.queued.CompareAndSwap(false, true) {
					v.post(func() { v.flushLive(s) })
				}
			}
		}
		v.post(func() {
			if v.sub != s {
				return
			}
			v.liveRun.CompareAndSwap(r.ID, 0)
			if got && v.sel == (selection{selRun, r.ID}) {
				// Ended here: its final state and output are stored now.
				v.show(v.sel)
			}
		})
	})
}

// flushLive shows the output received so far. UI goroutine.
func (v *View) flushLive(s *liveSub) {
	s.queued.Store(false)
	if v.sub != s || v.sel != (selection{selRun, s.runID}) {
		return
	}
	s.mu.Lock()
	out := append([]byte(nil), s.out...)
	s.mu.Unlock()
	v.screen.setOutput(out, s.runID)
}

// unfollow stops the subscription, if any. UI goroutine.
func (v *View) unfollow() {
	if v.sub != nil {
		v.sub.cancel()
	}
	v.sub = nil
	v.liveRun.Store(0)
}

// build creates the widgets. UI goroutine.
func (v *View) build() {
	v.screen = newScreen(v)
	v.pendingList = widget.NewList(func() int { return len(v.lists.pending) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lists.pending) {
			setRow(o, pendingRow(v.lists.pending[i], v.opt.now()))
		}
	})
	v.runningList = widget.NewList(func() int { return len(v.lists.running) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lists.running) {
			setRow(o, runningRow(v.lists.running[i], v.opt.now(), v.opt.loc))
		}
	})
	v.historyList = widget.NewList(func() int { return len(v.lists.history) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(v.lists.history) {
			setRow(o, historyRow(v.lists.history[i], v.opt.loc))
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
	split := container.NewHSplit(left, v.screen.root)
	split.Offset = 0.36
	v.content = container.NewBorder(nil, v.info, nil, nil, split)
}

// row is the text of one list row: a bold headline and a detail line.
type row struct{ head, sub string }

func newRow() fyne.CanvasObject {
	head := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("")
	sub.Truncation = fyne.TextTruncateEllipsis
	return container.NewVBox(head, sub)
}

func setRow(o fyne.CanvasObject, r row) {
	c := o.(*fyne.Container)
	c.Objects[0].(*widget.Label).SetText(r.head)
	c.Objects[1].(*widget.Label).SetText(r.sub)
}

func pendingRow(p store.Proposal, now time.Time) row {
	sub := events.Title(p.Event)
	if snap := snapshotOf(p); snap != "" {
		sub += " · " + snap
	}
	if p.Manual {
		sub += " · by hand"
	}
	return row{head: oneLine(p.Rule) + " · " + timeLeft(p.ExpiresAt.Sub(now)), sub: sub}
}

func runningRow(r store.Run, now time.Time, loc *time.Location) row {
	head := "Run " + strconv.FormatInt(r.ID, 10) + " · " + oneLine(r.Rule) + " · " + stateLabel(r.State)
	if !r.StartedAt.IsZero() {
		head += " " + elapsed(r.Duration(now))
	}
	return row{head: head, sub: "approved by " + oneLine(r.ApprovedBy) + " at " + r.ApprovedAt.In(loc).Format(timeLayout)}
}

func historyRow(h historyItem, loc *time.Location) row {
	if r := h.run; r != nil {
		sub := h.at.In(loc).Format(timeLayout)
		if !r.StartedAt.IsZero() {
			sub += " · took " + elapsed(r.Duration(r.EndedAt))
		}
		sub += " · approved by " + oneLine(r.ApprovedBy)
		return row{head: "Run " + strconv.FormatInt(r.ID, 10) + " · " + oneLine(r.Rule) + " · " + runOutcome(*r), sub: sub}
	}
	p := h.prop
	sub := h.at.In(loc).Format(timeLayout)
	if p.DecidedBy != "" {
		sub += " · by " + oneLine(p.DecidedBy)
	}
	if p.Comment != "" {
		sub += ": " + oneLine(p.Comment)
	}
	return row{head: "Proposal " + strconv.FormatInt(p.ID, 10) + " · " + oneLine(p.Rule) + " · " + stateLabel(p.State), sub: sub}
}

// snapshotOf names the proposal's snapshot for a one-line row.
func snapshotOf(p store.Proposal) string {
	if p.Event.SnapshotName != "" {
		return oneLine(p.Event.SnapshotName)
	}
	return oneLine(p.Event.SnapshotID)
}
