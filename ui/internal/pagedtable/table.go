// Package pagedtable is the table the Events and Signature failures views
// share: a virtualised widget.Table over rows loaded newest first, one
// keyset page at a time (the store pages by id), with the next page fetched
// when the table draws rows near the end of what is loaded, so scrolling to
// the bottom keeps loading more. It never asks the database per cell nor
// for a total count.
//
// A view gives it the columns, how to read a page and how to show a cell;
// it keeps the rows, folds in fresh first pages (new rows on top, updated
// rows in place), keeps the selection on the same row while rows move, and
// drops answers to queries made before the view started over. Queries run
// off the UI goroutine through the view's Base; everything else here runs
// on the UI goroutine.
package pagedtable

import (
	"context"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/ui/internal/paging"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const (
	// PageSize is how many rows one query loads: a few screens' worth, so
	// scrolling rarely waits, yet small enough to read in about a
	// millisecond.
	PageSize = 200
	// prefetch is how close to the end of the loaded rows the table may
	// draw before the next page is requested.
	prefetch = 50
)

// Spec is what a view tells the table.
type Spec[R any] struct {
	Columns []string
	Widths  []float32
	ID      func(R) int64
	// Cell is what one cell shows.
	Cell func(r R, col int) string
	// Page reads up to PageSize rows older than beforeID (0: the newest),
	// newest first, for the query the view has in force. It runs off the
	// UI goroutine.
	Page func(ctx context.Context, beforeID int64) ([]R, error)
	// Selected is called when the engineer selects a row (not when the
	// table reselects it after rows moved).
	Selected func(r R)
	// Changed is called after the rows, the loaded state or the error
	// changed, for the view's info line.
	Changed func()
	// Failed is told of a query that failed, for the log.
	Failed func(err error)
}

// Table is one paged table. UI goroutine only, except Covered and Gen,
// which Changed handlers read on their own goroutine.
type Table[R any] struct {
	spec Spec[R]
	base *viewkit.Base

	Widget *widget.Table

	Rows      []R
	Loaded    bool  // the first page has arrived
	Exhausted bool  // the last page was short: nothing older matches
	Err       error // the last query's failure, nil once one succeeds

	// gen is bumped when the view starts over: answers to older queries
	// are dropped. It is read by Changed handlers off the UI goroutine.
	gen         atomic.Uint64
	loadingMore bool
	selectedID  int64
	selectedCol int
	reselecting bool // Select called by the table itself, not the engineer

	// covered is the id up to which every row is reflected in the loaded
	// first page, so a burst of announcements refreshes once.
	covered atomic.Int64
}

// New builds the table widget. Call it on the UI goroutine.
func New[R any](base *viewkit.Base, spec Spec[R]) *Table[R] {
	t := &Table[R]{spec: spec, base: base}
	t.Widget = widget.NewTable(
		func() (int, int) { return len(t.Rows), len(spec.Columns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		t.updateCell,
	)
	t.Widget.ShowHeaderRow = true
	t.Widget.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.Widget.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Row < 0 && id.Col >= 0 && id.Col < len(spec.Columns) {
			o.(*widget.Label).SetText(spec.Columns[id.Col])
		}
	}
	for i, w := range spec.Widths {
		t.Widget.SetColumnWidth(i, w)
	}
	t.Widget.OnSelected = func(id widget.TableCellID) {
		if id.Row < 0 || id.Row >= len(t.Rows) {
			return
		}
		r := t.Rows[id.Row]
		t.selectedID, t.selectedCol = spec.ID(r), id.Col
		if !t.reselecting && spec.Selected != nil {
			spec.Selected(r)
		}
	}
	return t
}

// Covered is the id up to which every row is already in the loaded first
// page: an announcement of an older row needs no refresh. Any goroutine.
func (t *Table[R]) Covered() int64 { return t.covered.Load() }

// Gen identifies the current start: an answer to a query made under an
// older one is dropped by Replace and Merge. Any goroutine.
func (t *Table[R]) Gen() uint64 { return t.gen.Load() }

// StartOver makes answers to queries already under way stale (the filters
// changed) and returns the generation of the first page to come.
func (t *Table[R]) StartOver() uint64 {
	t.loadingMore = false
	return t.gen.Add(1)
}

// Fail shows a failed query.
func (t *Table[R]) Fail(err error) {
	if t.spec.Failed != nil {
		t.spec.Failed(err)
	}
	t.Err = err
	t.changed()
}

// Replace shows a fresh first page read under generation gen, covering
// every row up to latest, instead of what is loaded.
func (t *Table[R]) Replace(gen uint64, fresh []R, latest int64) {
	if gen != t.gen.Load() {
		return
	}
	first := !t.Loaded
	t.Rows, t.Loaded, t.Err = fresh, true, nil
	t.Exhausted = len(fresh) < PageSize
	t.loadingMore = false
	t.noteCovered(latest)
	if !first {
		// Other rows now: start from the top. (Each redraw shapes the
		// text of every visible cell, so the first page skips this one.)
		t.Widget.ScrollToTop()
	}
	t.Widget.Refresh()
	t.restoreSelection()
	t.changed()
}

// Merge folds a fresh first page read under generation gen into what is
// loaded: newer rows go on top, loaded ones are updated in place (a
// duplicate's count), and the selection stays on the same row. More new
// rows than a page may leave a gap: then it starts over from fresh.
func (t *Table[R]) Merge(gen uint64, fresh []R, latest int64) {
	if gen != t.gen.Load() {
		return
	}
	if !t.Loaded || len(t.Rows) == 0 {
		t.Replace(gen, fresh, latest)
		return
	}
	n, gap := paging.NewOnTop(t.Rows, fresh, t.spec.ID, PageSize)
	if gap {
		t.Replace(t.StartOver(), fresh, latest)
		return
	}
	t.Err = nil
	byID := make(map[int64]R, len(fresh)-n)
	for _, r := range fresh[n:] {
		byID[t.spec.ID(r)] = r
	}
	for i, r := range t.Rows {
		if len(byID) == 0 || t.spec.ID(r) < t.spec.ID(fresh[len(fresh)-1]) {
			break
		}
		if u, ok := byID[t.spec.ID(r)]; ok {
			t.Rows[i] = u
			delete(byID, t.spec.ID(r))
		}
	}
	if n > 0 {
		t.Rows = append(append(make([]R, 0, n+len(t.Rows)), fresh[:n]...), t.Rows...)
	}
	t.noteCovered(latest)
	t.Widget.Refresh()
	if n > 0 {
		t.restoreSelection()
	}
	t.changed()
}

// Update replaces the loaded row with r's id, if any.
func (t *Table[R]) Update(r R) {
	for i := range t.Rows {
		if t.spec.ID(t.Rows[i]) == t.spec.ID(r) {
			t.Rows[i] = r
			t.Widget.Refresh()
			return
		}
	}
}

// Select selects the row with id if it is loaded and reports whether it
// was; otherwise the table shows no selection.
func (t *Table[R]) Select(id int64) bool {
	for i, r := range t.Rows {
		if t.spec.ID(r) == id {
			t.Widget.Select(widget.TableCellID{Row: i, Col: t.selectedCol})
			return true
		}
	}
	t.reselecting = true
	t.Widget.UnselectAll()
	t.reselecting = false
	t.selectedID = id
	return false
}

// SelectedID is the id of the selected row, 0 if none.
func (t *Table[R]) SelectedID() int64 { return t.selectedID }

// SelectedCell is where the selected row is now, row -1 when it is not
// loaded, and the column the engineer selected in.
func (t *Table[R]) SelectedCell() (row, col int) {
	for i, r := range t.Rows {
		if t.selectedID != 0 && t.spec.ID(r) == t.selectedID {
			return i, t.selectedCol
		}
	}
	return -1, t.selectedCol
}

func (t *Table[R]) noteCovered(latest int64) {
	if latest > t.covered.Load() {
		t.covered.Store(latest)
	}
}

func (t *Table[R]) changed() {
	if t.spec.Changed != nil {
		t.spec.Changed()
	}
}

// restoreSelection keeps the selection on the selected row after rows
// moved; a row filtered out leaves no selection.
func (t *Table[R]) restoreSelection() {
	if t.selectedID == 0 {
		return
	}
	t.reselecting = true
	defer func() { t.reselecting = false }()
	for i, r := range t.Rows {
		if t.spec.ID(r) == t.selectedID {
			t.Widget.Select(widget.TableCellID{Row: i, Col: t.selectedCol})
			return
		}
	}
	t.Widget.UnselectAll()
}

// loadMore fetches the page after the last loaded row.
func (t *Table[R]) loadMore() {
	if !t.Loaded || t.Exhausted || t.loadingMore || len(t.Rows) == 0 {
		return
	}
	t.loadingMore = true
	gen := t.gen.Load()
	before := t.spec.ID(t.Rows[len(t.Rows)-1])
	t.base.Background(func(ctx context.Context) func() {
		rows, err := t.spec.Page(ctx, before)
		return func() {
			if gen != t.gen.Load() {
				return
			}
			t.loadingMore = false
			if err != nil {
				t.Fail(err)
				return
			}
			var short bool
			t.Rows, short = paging.AppendOlder(t.Rows, rows, t.spec.ID, PageSize)
			t.Exhausted = t.Exhausted || short
			t.Widget.Refresh()
			t.changed()
		}
	})
}

// updateCell fills one cell from the loaded rows, and asks for the next
// page when the table draws close to their end.
func (t *Table[R]) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if id.Row < 0 || id.Row >= len(t.Rows) {
		l.SetText("")
		return
	}
	if id.Row >= len(t.Rows)-prefetch {
		t.loadMore()
	}
	l.SetText(t.spec.Cell(t.Rows[id.Row], id.Col))
}
