// Package events is the Events view of the main window: every accepted
// delivery in a virtualised, filterable table, newest first, and the details
// of the selected one.
//
// The table is the paged table the Signature failures view shares
// (ui/internal/pagedtable): it never asks the database per cell or for a
// total count. Every query runs off the UI goroutine; widgets change only
// on it (through fyne.Do).
package events

import (
	"context"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
	"github.com/ipfwatch/ipfwatch/ui/internal/pagedtable"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const (
	// debounceDelay lets the engineer finish typing before the search runs.
	debounceDelay = 300 * time.Millisecond
	// relatedLimit bounds the "events of this snapshot" list.
	relatedLimit = 50
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

// View is the Events view. Build it with New on the UI goroutine; Changed may
// be called from any goroutine.
type View struct {
	a   *app.App
	win fyne.Window
	viewkit.Base

	// mu guards the query, with the table's generation it was set in,
	// which Changed reads on its own goroutine. The UI goroutine is the
	// only writer.
	mu    sync.Mutex
	query store.EventFilter // filters only; paging is added per query

	queries atomic.Int64 // ListEvents calls made, so tests can see there is no query per cell
	shownID atomic.Int64 // the event the details pane shows, for Changed

	// UI goroutine only.
	tbl         *pagedtable.Table[webhook.Event]
	wantDetails int64
	shown       shownEvent
	remediate   func(eventID int64)
	searchTimer *time.Timer
	searchText  string
	redoing     int64  // the event Look up again is running for, 0 if none
	caughtUp    string // CaughtUpNote of the last status, "" if none

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
	ipf     enrichment
}

// New builds the Events view and starts loading the newest page of events.
// Call it on the UI goroutine.
func New(a *app.App, win fyne.Window, opts ...viewkit.Option) *View {
	v := &View{a: a, win: win}
	v.Init(opts)
	v.build()
	v.reload()
	v.Background(func(ctx context.Context) func() {
		note := CaughtUpNote(v.a.Status(ctx), v.Opt.Loc)
		return func() { v.setCaughtUp(note) }
	})
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

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
		if c.ID != 0 && c.ID <= v.tbl.Covered() {
			return
		}
		v.mu.Lock()
		gen, f := v.tbl.Gen(), v.query
		v.mu.Unlock()
		latest, rows, err := v.firstPage(f)
		v.Post(func() {
			if err != nil {
				v.tbl.Fail(err)
				return
			}
			// Dropped if the filters changed: their own reload is on its way.
			v.tbl.Merge(gen, rows, latest)
		})
	case app.EventDuplicate:
		if c.ID == 0 {
			// Folded announcements: refresh what is loaded.
			v.Changed(app.Change{Kind: app.EventStored})
			return
		}
		ctx, cancel := v.Query()
		defer cancel()
		ev, err := v.a.Store().GetEvent(ctx, c.ID)
		if err != nil {
			v.Opt.Log.Warn("events view: duplicate not readable", "event", c.ID, "err", err)
			return
		}
		v.Post(func() { v.updateRow(ev) })
	case app.EventEnriched:
		v.enriched(c.ID)
	case app.StateChanged:
		// The last catch-up from IP Fabric's API may have added events.
		ctx, cancel := v.Query()
		defer cancel()
		note := CaughtUpNote(v.a.Status(ctx), v.Opt.Loc)
		v.Post(func() { v.setCaughtUp(note) })
	}
}

// setCaughtUp shows how many events the last catch-up added. UI goroutine.
func (v *View) setCaughtUp(note string) {
	if note != v.caughtUp {
		v.caughtUp = note
		v.updateInfo()
	}
}

// list runs one page query and counts it.
func (v *View) list(ctx context.Context, f store.EventFilter) ([]webhook.Event, error) {
	v.queries.Add(1)
	f.Limit = pagedtable.PageSize
	return v.a.Store().ListEvents(ctx, f)
}

// firstPage reads the newest page for f, and the latest event id issued
// before it was read: every event up to that id is then accounted for.
func (v *View) firstPage(f store.EventFilter) (int64, []webhook.Event, error) {
	ctx, cancel := v.Query()
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
	gen, f := v.tbl.StartOver(), v.query
	v.mu.Unlock()
	v.Background(func(context.Context) func() {
		latest, rows, err := v.firstPage(f)
		return func() {
			if err != nil {
				v.tbl.Fail(err)
				return
			}
			v.tbl.Replace(gen, rows, latest)
		}
	})
}

// updateRow replaces a loaded row (a duplicate raised its count), and the
// details if they show it. UI goroutine.
func (v *View) updateRow(ev webhook.Event) {
	row := ev
	row.Body = nil // list rows carry no body
	v.tbl.Update(row)
	if v.shown.ev.ID == ev.ID {
		v.showDetails(ev, v.shown.related, v.shown.ipf)
	}
}

func (v *View) fail(err error) { v.tbl.Fail(err) }

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
		v.Pending.Add(1)
	}
	v.searchTimer = time.AfterFunc(debounceDelay, func() {
		v.Opt.Do(func() {
			defer v.Pending.Add(-1)
			text := v.searchText
			v.setFilter(func(f *store.EventFilter) { f.Search = text })
		})
	})
}

// selectEvent shows an event's details and selects its row when loaded.
func (v *View) selectEvent(id int64) {
	if !v.tbl.Select(id) {
		v.loadDetails(id)
	}
}

// loadDetails reads one event with its body and the events of its snapshot.
func (v *View) loadDetails(id int64) {
	v.wantDetails = id
	v.Background(func(ctx context.Context) func() {
		ev, err := v.a.Store().GetEvent(ctx, id)
		var related []webhook.Event
		var e enrichment
		if err == nil {
			related, err = v.a.Store().EventsBySnapshot(ctx, ev.SnapshotID, relatedLimit)
			e = v.readEnrichment(ctx, ev)
		}
		return func() {
			if v.wantDetails != id {
				return // the engineer moved on
			}
			if err != nil {
				v.fail(err)
				return
			}
			v.showDetails(ev, related, e)
		}
	})
}

func (v *View) showDetails(ev webhook.Event, related []webhook.Event, e enrichment) {
	v.shown = shownEvent{ev: ev, related: related, ipf: e}
	v.shownID.Store(ev.ID)
	v.details.show(ev, related, e, v.Opt.Loc)
	if v.redoing == ev.ID {
		v.details.ipf.busy()
	}
	v.details.setRemediateVisible(v.remediate != nil)
}

func (v *View) updateInfo() {
	var s string
	switch {
	case v.tbl.Err != nil:
		s = "Could not load events: " + v.tbl.Err.Error()
	case !v.tbl.Loaded:
		s = "Loading events…"
	case len(v.tbl.Rows) == 0 && v.query != (store.EventFilter{}):
		s = "No events match the filters."
	case len(v.tbl.Rows) == 0:
		s = "No events yet. They appear here as IP Fabric sends them."
	case v.tbl.Exhausted:
		s = plural(len(v.tbl.Rows), "event", "events")
	default:
		s = plural(len(v.tbl.Rows), "event", "events") + " loaded; scroll down for older ones."
	}
	if v.caughtUp != "" {
		s += " · " + v.caughtUp
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
	v.tbl = pagedtable.New(&v.Base, pagedtable.Spec[webhook.Event]{
		Columns: columns, Widths: columnWidths,
		ID:   func(r webhook.Event) int64 { return r.ID },
		Cell: func(r webhook.Event, col int) string { return cellText(r, col, v.Opt.Loc) },
		Page: func(ctx context.Context, before int64) ([]webhook.Event, error) {
			v.mu.Lock()
			f := v.query
			v.mu.Unlock()
			f.BeforeID = before
			return v.list(ctx, f)
		},
		Selected: func(r webhook.Event) { v.loadDetails(r.ID) },
		Changed:  v.updateInfo,
		Failed:   func(err error) { v.Opt.Log.Warn("events view: query failed", "err", err) },
	})

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
	}, v.lookUpAgain)
	v.updateInfo()

	filters := container.NewBorder(nil, nil,
		container.NewHBox(v.statusSel, v.typeSel),
		container.NewHBox(exportCSV, exportJSON),
		v.search)
	split := container.NewHSplit(v.tbl.Widget, v.details.root)
	split.Offset = splitOffset
	v.content = container.NewBorder(filters, v.info, nil, nil, split)
}

func choice(s, anyLabel string) string {
	if s == anyLabel {
		return ""
	}
	return s
}

// cellText is what one table cell shows. Sender-supplied text is folded to
// one line so a crafted name cannot break the row layout.
func cellText(r webhook.Event, col int, loc *time.Location) string {
	switch col {
	case 0:
		return r.ReceivedAt.In(loc).Format(shortTimeLayout)
	case 1:
		return viewkit.OneLine(r.Type)
	case 2:
		return viewkit.OneLine(r.Action)
	case 3:
		return viewkit.OneLine(r.Status)
	case 4:
		if r.SnapshotName != "" {
			return viewkit.OneLine(r.SnapshotName)
		}
		return viewkit.OneLine(r.SnapshotID)
	case 5:
		return viewkit.OneLine(r.Requester)
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

// askExport asks where to save the loaded rows, as shown. UI goroutine.
func (v *View) askExport(format string) {
	export.Save(v, v.win, v.Opt.Log, "ipfwatch-events", format, slices.Clone(v.tbl.Rows), WriteCSV, WriteJSON)
}

// export writes rows to w (tests call it in place of the save dialog).
func (v *View) export(w io.WriteCloser, format string, rows []webhook.Event) {
	export.SaveTo(v, v.win, v.Opt.Log, w, format, rows, WriteCSV, WriteJSON)
}
