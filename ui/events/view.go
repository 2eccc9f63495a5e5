// Package events is the Events view of the main window: every accepted
// delivery in a virtualised, filterable table, newest first, and the details
// of the selected one.
//
// The table never asks the database per cell or for a total count. It shows
// what has been loaded so far, one keyset page at a time (the store pages by
// id), and fetches the next page when the table draws rows near the end of
// what is loaded, so scrolling to the bottom keeps loading more. Every query
// runs off the UI goroutine; widgets change only on it (through fyne.Do).
package events

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/async"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
	"github.com/ipfwatch/ipfwatch/ui/internal/paging"
)

const (
	// pageSize is how many rows one query loads: a few screens' worth, so
	// scrolling rarely waits, yet small enough to read in about a millisecond.
	pageSize = 200
	// prefetch is how close to the end of the loaded rows the table may draw
	// before the next page is requested.
	prefetch = 50
	// debounceDelay lets the engineer finish typing before the search runs.
	debounceDelay = 300 * time.Millisecond
	// relatedLimit bounds the "events of this snapshot" list.
	relatedLimit = 50
	// queryTimeout bounds one page query; a stuck database must not leave the
	// view waiting forever.
	queryTimeout = 30 * time.Second
)

// The filter choices. The statuses and types are the ones IP Fabric
// documents; anything else a sender invents is still found by "any".
const (
	anyStatus = "Any status"
	anyType   = "Any type"
)

var (
	statuses = []string{"started", "completed", "failed", "resumed", "resumed (stopping)", "stopped"}
	types    = []string{"snapshot", "intent-verification"}
)

// The table's columns, with the widths they start at. Together they fit
// the table's share of the main window (splitOffset of 1000 px), so every
// column shows at the window's usual size: the time without its year (the
// details give it in full), the type in full, and names cut short with an
// ellipsis where they must be.
var (
	columns      = []string{"Time", "Type", "Action", "Status", "Snapshot", "Requester", "Test", "Dups"}
	columnWidths = []float32{112, 133, 74, 86, 96, 84, 44, 52}
)

// splitOffset is the table's share of the view's width; the details pane
// has the rest and wraps its text to fit it.
const splitOffset = 0.73

// Option changes how New builds the view.
type Option func(*options)

type options struct {
	loc *time.Location
	// do runs a function on the UI goroutine. It is fyne.Do; tests replace
	// it with a queue they drain on their own goroutine, which then plays
	// the UI goroutine.
	do  func(func())
	log *slog.Logger
}

// WithLocation shows times in loc instead of the local time zone (tests use
// a fixed zone so rendered output does not depend on the machine).
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithLogger sets where query failures are logged (default slog.Default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// View is the Events view. Build it with New on the UI goroutine; Changed may
// be called from any goroutine.
type View struct {
	a   *app.App
	win fyne.Window
	opt options

	// mu guards the query Changed runs on its own goroutine. The UI
	// goroutine is the only writer.
	mu    sync.Mutex
	query store.EventFilter // filters only; paging is added per query
	gen   uint64            // bumped when the filters change: older answers are dropped

	covered atomic.Int64  // every event up to this id is reflected in the loaded first page
	queries atomic.Int64  // ListEvents calls made, so tests can see there is no query per cell
	pending async.Tracker // background work not yet applied, so tests can wait for quiet

	// UI goroutine only.
	rows        []webhook.Event
	loaded      bool // the first page has arrived
	exhausted   bool // the last page was short: nothing older matches
	loadingMore bool
	loadErr     error
	selectedID  int64
	selectedRow int
	selectedCol int
	reselecting bool // Select called by the view itself, not the engineer
	wantDetails int64
	shown       shownEvent
	remediate   func(eventID int64)
	searchTimer *time.Timer
	searchText  string

	table     *widget.Table
	statusSel *widget.Select
	typeSel   *widget.Select
	search    *widget.Entry
	info      *widget.Label
	details   *details
	content   fyne.CanvasObject
}

// shownEvent is what the details pane currently shows.
type shownEvent struct {
	ev      webhook.Event
	related []webhook.Event
}

// New builds the Events view and starts loading the newest page of events.
// Call it on the UI goroutine.
func New(a *app.App, win fyne.Window, opts ...Option) *View {
	v := &View{a: a, win: win, opt: options{loc: time.Local, do: fyne.Do, log: slog.Default()}}
	for _, o := range opts {
		o(&v.opt)
	}
	v.build()
	v.reload()
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop ends the view's context and waits for its goroutines: the shell
// calls it before the window goes for good.
func (v *View) Stop() { v.pending.Stop() }

// SetRemediate adds a "Remediate..." button to the details pane that calls fn
// with the shown event's id. Call it on the UI goroutine; nil removes the
// button.
func (v *View) SetRemediate(fn func(eventID int64)) {
	v.remediate = fn
	v.details.setRemediateVisible(fn != nil && v.shown.ev.ID != 0)
}

// Changed refreshes what a change affects. It is called from the shell's
// subscription goroutine: the database is read here, and widgets are updated
// on the UI goroutine.
func (v *View) Changed(c app.Change) {
	switch c.Kind {
	case app.EventStored:
		// A burst of deliveries announces each one; the first refresh
		// after the burst has already loaded the rest.
		if c.ID != 0 && c.ID <= v.covered.Load() {
			return
		}
		v.mu.Lock()
		gen, f := v.gen, v.query
		v.mu.Unlock()
		latest, rows, err := v.firstPage(f)
		v.post(func() {
			if gen != v.gen {
				return // the filters changed; their own reload is on its way
			}
			if err != nil {
				v.fail(err)
				return
			}
			v.merge(rows, latest)
		})
	case app.EventDuplicate:
		ctx, cancel := context.WithTimeout(v.pending.Context(), queryTimeout)
		defer cancel()
		ev, err := v.a.Store().GetEvent(ctx, c.ID)
		if err != nil {
			v.opt.log.Warn("events view: duplicate not readable", "event", c.ID, "err", err)
			return
		}
		v.post(func() { v.updateRow(ev) })
	}
}

// post runs fn on the UI goroutine, counted as pending until it has run.
func (v *View) post(fn func()) { v.pending.Post(v.opt.do, fn) }

// background runs work off the UI goroutine and then the function it
// returns (if any) on the UI goroutine.
func (v *View) background(work func(ctx context.Context) func()) {
	v.pending.Background(v.opt.do, queryTimeout, work)
}

// list runs one page query and counts it.
func (v *View) list(ctx context.Context, f store.EventFilter) ([]webhook.Event, error) {
	v.queries.Add(1)
	f.Limit = pageSize
	return v.a.Store().ListEvents(ctx, f)
}

// firstPage reads the newest page for f, and the latest event id issued
// before it was read: every event up to that id is then accounted for.
func (v *View) firstPage(f store.EventFilter) (int64, []webhook.Event, error) {
	ctx, cancel := context.WithTimeout(v.pending.Context(), queryTimeout)
	defer cancel()
	latest, _, err := v.a.Store().LatestIDs(ctx)
	if err != nil {
		return 0, nil, err
	}
	f.BeforeID = 0
	rows, err := v.list(ctx, f)
	return latest, rows, err
}

// reload starts over with the current filters. UI goroutine.
func (v *View) reload() {
	v.mu.Lock()
	v.gen++
	gen, f := v.gen, v.query
	v.mu.Unlock()
	v.loadingMore = false
	v.background(func(context.Context) func() {
		latest, rows, err := v.firstPage(f)
		return func() {
			if gen != v.gen {
				return
			}
			if err != nil {
				v.fail(err)
				return
			}
			v.replace(rows, latest)
		}
	})
}

// replace shows a fresh first page (new filters). UI goroutine.
func (v *View) replace(rows []webhook.Event, latest int64) {
	first := !v.loaded
	v.rows, v.loaded, v.loadErr = rows, true, nil
	v.exhausted = len(rows) < pageSize
	v.noteCovered(latest)
	if !first {
		// Other rows now: start from the top. (Each redraw shapes the text
		// of every visible cell, so the first page skips this one.)
		v.table.ScrollToTop()
	}
	v.table.Refresh()
	v.restoreSelection()
	v.updateInfo()
}

// merge folds a fresh first page into what is loaded: newer events go on
// top, loaded ones are updated in place (duplicate counts), and the
// selection stays on the same event. UI goroutine.
func (v *View) merge(fresh []webhook.Event, latest int64) {
	if !v.loaded || len(v.rows) == 0 {
		v.replace(fresh, latest)
		return
	}
	n, gap := paging.NewOnTop(v.rows, fresh, rowID, pageSize)
	if gap {
		// More new events than a page: there may be a gap between them
		// and what is loaded, so start over from the newest.
		v.replace(fresh, latest)
		return
	}
	byID := make(map[int64]webhook.Event, len(fresh)-n)
	for _, r := range fresh[n:] {
		byID[r.ID] = r
	}
	for i, r := range v.rows {
		if len(byID) == 0 || r.ID < fresh[len(fresh)-1].ID {
			break
		}
		if u, ok := byID[r.ID]; ok {
			v.rows[i] = u
			delete(byID, r.ID)
		}
	}
	if n > 0 {
		v.rows = append(append(make([]webhook.Event, 0, n+len(v.rows)), fresh[:n]...), v.rows...)
	}
	v.noteCovered(latest)
	v.table.Refresh()
	if n > 0 {
		v.restoreSelection()
	}
	v.updateInfo()
}

// updateRow replaces a loaded row (a duplicate raised its count), and the
// details if they show it. UI goroutine.
func (v *View) updateRow(ev webhook.Event) {
	for i := range v.rows {
		if v.rows[i].ID == ev.ID {
			body := ev.Body
			ev.Body = nil // list rows carry no body
			v.rows[i] = ev
			ev.Body = body
			v.table.Refresh()
			break
		}
	}
	if v.shown.ev.ID == ev.ID {
		v.showDetails(ev, v.shown.related)
	}
}

func (v *View) noteCovered(latest int64) {
	if latest > v.covered.Load() {
		v.covered.Store(latest)
	}
}

// rowID is a row's id, for paging.
func rowID(r webhook.Event) int64 { return r.ID }

// loadMore fetches the page after the last loaded row. UI goroutine.
func (v *View) loadMore() {
	if !v.loaded || v.exhausted || v.loadingMore || len(v.rows) == 0 {
		return
	}
	v.loadingMore = true
	f := v.query
	gen := v.gen
	f.BeforeID = v.rows[len(v.rows)-1].ID
	v.background(func(ctx context.Context) func() {
		rows, err := v.list(ctx, f)
		return func() {
			if gen != v.gen {
				return
			}
			v.loadingMore = false
			if err != nil {
				v.fail(err)
				return
			}
			var short bool
			v.rows, short = paging.AppendOlder(v.rows, rows, rowID, pageSize)
			v.exhausted = v.exhausted || short
			v.table.Refresh()
			v.updateInfo()
		}
	})
}

func (v *View) fail(err error) {
	v.opt.log.Warn("events view: query failed", "err", err)
	v.loadErr = err
	v.updateInfo()
}

// setFilter changes the filters and reloads. UI goroutine.
func (v *View) setFilter(change func(f *store.EventFilter)) {
	v.mu.Lock()
	f := v.query
	change(&f)
	same := f == v.query
	v.query = f
	v.mu.Unlock()
	if !same {
		v.reload()
	}
}

// searchChanged restarts the debounce timer; the search runs when typing
// pauses. UI goroutine.
func (v *View) searchChanged(s string) {
	v.searchText = s
	if v.searchTimer == nil || !v.searchTimer.Stop() {
		// No timer waiting: this one is new work (a stopped timer's
		// count is taken over by its replacement).
		v.pending.Add(1)
	}
	v.searchTimer = time.AfterFunc(debounceDelay, func() {
		v.opt.do(func() {
			defer v.pending.Add(-1)
			text := v.searchText
			v.setFilter(func(f *store.EventFilter) { f.Search = text })
		})
	})
}

// restoreSelection keeps the table's selection on the selected event after
// rows moved. UI goroutine.
func (v *View) restoreSelection() {
	if v.selectedID == 0 {
		return
	}
	for i, r := range v.rows {
		if r.ID == v.selectedID {
			v.reselecting = true
			v.table.Select(widget.TableCellID{Row: i, Col: v.selectedCol})
			v.reselecting = false
			return
		}
	}
	// Filtered out: the details stay, the table shows no selection.
	v.reselecting = true
	v.table.UnselectAll()
	v.reselecting = false
}

// selectEvent shows an event's details and selects its row when loaded.
func (v *View) selectEvent(id int64) {
	for i, r := range v.rows {
		if r.ID == id {
			v.table.Select(widget.TableCellID{Row: i, Col: v.selectedCol})
			return
		}
	}
	v.reselecting = true
	v.table.UnselectAll()
	v.reselecting = false
	v.selectedID = id
	v.loadDetails(id)
}

// loadDetails reads one event with its body and the events of its snapshot.
func (v *View) loadDetails(id int64) {
	v.wantDetails = id
	v.background(func(ctx context.Context) func() {
		ev, err := v.a.Store().GetEvent(ctx, id)
		var related []webhook.Event
		if err == nil {
			related, err = v.a.Store().EventsBySnapshot(ctx, ev.SnapshotID, relatedLimit)
		}
		return func() {
			if v.wantDetails != id {
				return // the engineer moved on
			}
			if err != nil {
				v.fail(err)
				return
			}
			v.showDetails(ev, related)
		}
	})
}

func (v *View) showDetails(ev webhook.Event, related []webhook.Event) {
	v.shown = shownEvent{ev: ev, related: related}
	v.details.show(ev, related, v.opt.loc)
	v.details.setRemediateVisible(v.remediate != nil)
}

func (v *View) updateInfo() {
	var s string
	switch {
	case v.loadErr != nil:
		s = "Could not load events: " + v.loadErr.Error()
	case !v.loaded:
		s = "Loading events…"
	case len(v.rows) == 0 && v.query != (store.EventFilter{}):
		s = "No events match the filters."
	case len(v.rows) == 0:
		s = "No events yet. They appear here as IP Fabric sends them."
	case v.exhausted:
		s = plural(len(v.rows), "event", "events")
	default:
		s = plural(len(v.rows), "event", "events") + " loaded; scroll down for older ones."
	}
	v.info.SetText(s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// build creates the widgets. UI goroutine.
func (v *View) build() {
	v.table = widget.NewTable(
		func() (int, int) { return len(v.rows), len(columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		v.updateCell,
	)
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
		if id.Row < 0 || id.Row >= len(v.rows) {
			return
		}
		v.selectedID, v.selectedRow, v.selectedCol = v.rows[id.Row].ID, id.Row, id.Col
		if !v.reselecting {
			v.loadDetails(v.selectedID)
		}
	}

	v.statusSel = widget.NewSelect(append([]string{anyStatus}, statuses...), nil)
	v.statusSel.SetSelected(anyStatus)
	v.statusSel.OnChanged = func(s string) {
		v.setFilter(func(f *store.EventFilter) { f.Status = choice(s, anyStatus) })
	}
	v.typeSel = widget.NewSelect(append([]string{anyType}, types...), nil)
	v.typeSel.SetSelected(anyType)
	v.typeSel.OnChanged = func(s string) {
		v.setFilter(func(f *store.EventFilter) { f.Type = choice(s, anyType) })
	}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search snapshot name or id, reason")
	v.search.OnChanged = v.searchChanged

	exportCSV := widget.NewButton("Export CSV…", func() { v.askExport(export.CSV) })
	exportJSON := widget.NewButton("Export JSON…", func() { v.askExport(export.JSON) })

	v.info = widget.NewLabel("")
	v.details = newDetails(v.selectEvent, func() {
		if v.remediate != nil && v.shown.ev.ID != 0 {
			v.remediate(v.shown.ev.ID)
		}
	})
	v.updateInfo()

	filters := container.NewBorder(nil, nil,
		container.NewHBox(v.statusSel, v.typeSel),
		container.NewHBox(exportCSV, exportJSON),
		v.search)
	split := container.NewHSplit(v.table, v.details.root)
	split.Offset = splitOffset
	v.content = container.NewBorder(filters, v.info, nil, nil, split)
}

func choice(s, anyLabel string) string {
	if s == anyLabel {
		return ""
	}
	return s
}

// updateCell fills one cell from the loaded rows, and asks for the next page
// when the table draws close to their end.
func (v *View) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if id.Row < 0 || id.Row >= len(v.rows) {
		l.SetText("")
		return
	}
	if id.Row >= len(v.rows)-prefetch {
		v.loadMore()
	}
	l.SetText(cellText(v.rows[id.Row], id.Col, v.opt.loc))
}

// cellText is what one table cell shows. Sender-supplied text is folded to
// one line so a crafted name cannot break the row layout.
func cellText(r webhook.Event, col int, loc *time.Location) string {
	switch col {
	case 0:
		return r.ReceivedAt.In(loc).Format(shortTimeLayout)
	case 1:
		return oneLine(r.Type)
	case 2:
		return oneLine(r.Action)
	case 3:
		return oneLine(r.Status)
	case 4:
		if r.SnapshotName != "" {
			return oneLine(r.SnapshotName)
		}
		return oneLine(r.SnapshotID)
	case 5:
		return oneLine(r.Requester)
	case 6:
		if r.Test {
			return "test"
		}
		return ""
	case 7:
		if r.Duplicates > 0 {
			return strconv.FormatInt(r.Duplicates, 10)
		}
		return ""
	}
	return ""
}

// Time layouts: in full in the details, without the year in the table
// and the related list, where room is short.
const (
	timeLayout      = "2006-01-02 15:04:05"
	shortTimeLayout = "01-02 15:04:05"
)

// askExport asks where to save the loaded, filtered events. UI goroutine.
func (v *View) askExport(format string) {
	rows := append([]webhook.Event(nil), v.rows...)
	export.Ask(v.win, "ipfwatch-events."+format, func(w io.WriteCloser) { v.export(w, format, rows) })
}

// export writes rows off the UI goroutine and reports a failure in a dialog.
func (v *View) export(w io.WriteCloser, format string, rows []webhook.Event) {
	v.background(func(context.Context) func() {
		err := export.To(w, format,
			func(w io.Writer) error { return WriteCSV(w, rows) },
			func(w io.Writer) error { return WriteJSON(w, rows) })
		if err == nil {
			return nil
		}
		v.opt.log.Warn("events view: export failed", "err", err)
		return func() { dialog.ShowError(err, v.win) }
	})
}
