// Package failures is the Signature failures view of the main window: every
// delivery the listener refused, newest first, with what the engineer needs
// to see why IP Fabric and ipfwatch disagree, and a banner naming the likely
// cause while failures are recent.
//
// Like the Events view it pages by id and loads the next page only when the
// table draws near the end of what is loaded; queries run off the UI
// goroutine and widgets change only on it (through fyne.Do).
package failures

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/async"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
	"github.com/ipfwatch/ipfwatch/ui/internal/paging"
)

const (
	// pageSize rows per query; see the events view.
	pageSize = 200
	// prefetch: how close to the end of the loaded rows the table may draw
	// before the next page is requested.
	prefetch = 50
	// recentWindow is how far back the banner looks.
	recentWindow = 24 * time.Hour
	queryTimeout = 30 * time.Second
	// timeLayout is for the details; the table leaves out the year, as
	// room there is short.
	timeLayout      = "2006-01-02 15:04:05"
	shortTimeLayout = "01-02 15:04:05"
)

// The table's columns, with the widths they start at. Together they fit
// the table's share of the main window (splitOffset of 1000 px), so every
// column shows at the window's usual size: the time without its year (the
// details give it in full), and long hints cut short with an ellipsis (the
// details give them in full too).
var (
	columns      = []string{"Time", "Remote address", "Reason", "Hint"}
	columnWidths = []float32{112, 120, 190, 204}
)

// splitOffset is the table's share of the view's width; the details pane
// has the rest and wraps its text to fit it.
const splitOffset = 0.66

// Option changes how New builds the view.
type Option func(*options)

type options struct {
	loc *time.Location
	now func() time.Time
	// do runs a function on the UI goroutine: fyne.Do, or a test's queue.
	do  func(func())
	log *slog.Logger
}

// WithLocation shows times in loc instead of the local time zone.
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithNow sets the clock that decides which failures are recent.
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets where query failures are logged (default slog.Default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// View is the Signature failures view. Build it with New on the UI
// goroutine; Changed may be called from any goroutine.
type View struct {
	a   *app.App
	win fyne.Window
	opt options

	covered atomic.Int64  // every rejection up to this id is reflected in the loaded first page
	queries atomic.Int64  // ListRejections calls made
	pending async.Tracker // background work not yet applied, so tests can wait for quiet
	gen     uint64        // UI goroutine: bumped by a full reload; older answers are dropped

	// UI goroutine only.
	rows        []webhook.Rejection
	loaded      bool
	exhausted   bool
	loadingMore bool
	loadErr     error
	selectedID  int64
	selectedRow int
	selectedCol int
	reselecting bool
	shownBanner banner

	table       *widget.Table
	banner      *fyne.Container
	bannerTitle *widget.Label
	bannerCause *widget.Label
	info        *widget.Label
	details     *details
	content     fyne.CanvasObject
}

// banner is what the banner says; zero Count hides it.
type banner struct {
	Count int64
	Cause string
}

// New builds the view and starts loading the newest refusals.
func New(a *app.App, win fyne.Window, opts ...Option) *View {
	v := &View{a: a, win: win, opt: options{loc: time.Local, now: time.Now, do: fyne.Do, log: slog.Default()}}
	for _, o := range opts {
		o(&v.opt)
	}
	v.build()
	v.gen++
	gen := v.gen
	v.background(func(context.Context) func() {
		latest, rows, b, err := v.firstPage()
		return func() { v.applyFirst(gen, latest, rows, b, err) }
	})
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop ends the view's context and waits for its goroutines: the shell
// calls it before the window goes for good.
func (v *View) Stop() { v.pending.Stop() }

// Shown tells the view the engineer is looking at it: the tray stops asking
// for attention for the failures seen, and the banner is brought up to date
// (a failure may have aged out of the last 24 hours). Call it on the UI
// goroutine when the tab is selected.
func (v *View) Shown() {
	gen := v.gen
	v.background(func(ctx context.Context) func() {
		v.a.MarkFailuresSeen(ctx)
		latest, rows, b, err := v.firstPage()
		return func() { v.applyFirst(gen, latest, rows, b, err) }
	})
}

// Changed refreshes the view when a delivery was refused. It is called from
// the shell's subscription goroutine: the database is read here, widgets are
// updated on the UI goroutine.
func (v *View) Changed(c app.Change) {
	if c.Kind != app.RejectionRecorded {
		return
	}
	if c.ID != 0 && c.ID <= v.covered.Load() {
		return // a burst: an earlier refresh already loaded this one
	}
	latest, rows, b, err := v.firstPage()
	v.post(func() { v.applyFirst(v.gen, latest, rows, b, err) })
}

// post runs fn on the UI goroutine, counted as pending until it has run.
func (v *View) post(fn func()) { v.pending.Post(v.opt.do, fn) }

// background runs work off the UI goroutine and then the function it
// returns (if any) on the UI goroutine.
func (v *View) background(work func(ctx context.Context) func()) {
	v.pending.Background(v.opt.do, queryTimeout, work)
}

func (v *View) list(ctx context.Context, f store.RejectionFilter) ([]webhook.Rejection, error) {
	v.queries.Add(1)
	f.Limit = pageSize
	return v.a.Store().ListRejections(ctx, f)
}

// firstPage reads the newest page, the latest rejection id issued before it
// and what the banner should say.
func (v *View) firstPage() (int64, []webhook.Rejection, banner, error) {
	ctx, cancel := context.WithTimeout(v.pending.Context(), queryTimeout)
	defer cancel()
	st := v.a.Store()
	_, latest, err := st.LatestIDs(ctx)
	if err != nil {
		return 0, nil, banner{}, err
	}
	rows, err := v.list(ctx, store.RejectionFilter{})
	if err != nil {
		return 0, nil, banner{}, err
	}
	since := v.opt.now().Add(-recentWindow)
	_, n, err := st.CountSince(ctx, since)
	if err != nil {
		return 0, nil, banner{}, err
	}
	var recent []webhook.Rejection
	for _, r := range rows {
		if r.ReceivedAt.Before(since) {
			break // newest first: the rest are older still
		}
		recent = append(recent, r)
	}
	return latest, rows, banner{Count: n, Cause: LikelyCause(recent)}, nil
}

// applyFirst folds a fresh first page into the view. UI goroutine.
func (v *View) applyFirst(gen uint64, latest int64, fresh []webhook.Rejection, b banner, err error) {
	if gen != v.gen {
		return
	}
	if err != nil {
		v.fail(err)
		return
	}
	v.loadErr = nil
	v.showBanner(b)
	if latest > v.covered.Load() {
		v.covered.Store(latest)
	}
	if !v.loaded || len(v.rows) == 0 {
		v.rows, v.loaded, v.exhausted = fresh, true, len(fresh) < pageSize
		v.table.Refresh()
		v.updateInfo()
		return
	}
	n, gap := paging.NewOnTop(v.rows, fresh, rowID, pageSize)
	switch {
	case gap:
		// More new refusals than a page: start over from the newest.
		v.gen++
		v.rows, v.exhausted, v.loadingMore = fresh, false, false
		v.table.Refresh()
		v.table.ScrollToTop()
		v.restoreSelection()
	case n > 0:
		v.rows = append(append(make([]webhook.Rejection, 0, n+len(v.rows)), fresh[:n]...), v.rows...)
		v.table.Refresh()
		v.restoreSelection()
	}
	v.updateInfo()
}

// rowID is a row's id, for paging.
func rowID(r webhook.Rejection) int64 { return r.ID }

// loadMore fetches the page after the last loaded row. UI goroutine.
func (v *View) loadMore() {
	if !v.loaded || v.exhausted || v.loadingMore || len(v.rows) == 0 {
		return
	}
	v.loadingMore = true
	gen := v.gen
	f := store.RejectionFilter{BeforeID: v.rows[len(v.rows)-1].ID}
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
	v.opt.log.Warn("failures view: query failed", "err", err)
	v.loadErr = err
	v.updateInfo()
}

func (v *View) showBanner(b banner) {
	if b == v.shownBanner {
		return
	}
	v.shownBanner = b
	// The banner changes the height of the top bar: lay the view out again.
	defer v.content.Refresh()
	if b.Count == 0 {
		v.banner.Hide()
		return
	}
	what := "1 delivery was refused"
	if b.Count > 1 {
		what = strconv.FormatInt(b.Count, 10) + " deliveries were refused"
	}
	v.bannerTitle.SetText(what + " in the last 24 hours.")
	if b.Cause != "" {
		v.bannerCause.SetText("Likely cause: " + b.Cause)
		v.bannerCause.Show()
	} else {
		v.bannerCause.Hide()
	}
	v.banner.Show()
}

// restoreSelection keeps the selection on the same refusal after rows
// moved. UI goroutine.
func (v *View) restoreSelection() {
	if v.selectedID == 0 {
		return
	}
	v.reselecting = true
	defer func() { v.reselecting = false }()
	for i, r := range v.rows {
		if r.ID == v.selectedID {
			v.table.Select(widget.TableCellID{Row: i, Col: v.selectedCol})
			return
		}
	}
	v.table.UnselectAll()
}

func (v *View) updateInfo() {
	var s string
	switch {
	case v.loadErr != nil:
		s = "Could not load refused deliveries: " + v.loadErr.Error()
	case !v.loaded:
		s = "Loading refused deliveries…"
	case len(v.rows) == 0:
		s = "No refused deliveries. Every request so far was signed correctly."
	case len(v.rows) == 1:
		s = "1 refused delivery"
	case v.exhausted:
		s = strconv.Itoa(len(v.rows)) + " refused deliveries"
	default:
		s = strconv.Itoa(len(v.rows)) + " refused deliveries loaded; scroll down for older ones."
	}
	v.info.SetText(s)
}

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
		r := v.rows[id.Row]
		v.selectedID, v.selectedRow, v.selectedCol = r.ID, id.Row, id.Col
		if !v.reselecting {
			v.details.show(r, v.opt.loc)
		}
	}

	v.bannerTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.bannerCause = widget.NewLabel("")
	v.bannerCause.Wrapping = fyne.TextWrapWord
	bg := canvas.NewRectangle(warningTint())
	bg.CornerRadius = theme.InputRadiusSize()
	v.banner = container.NewStack(bg, container.NewVBox(v.bannerTitle, v.bannerCause))
	v.banner.Hide()

	exportCSV := widget.NewButton("Export CSV…", func() { v.askExport(export.CSV) })
	exportJSON := widget.NewButton("Export JSON…", func() { v.askExport(export.JSON) })
	toolbar := container.NewHBox(layout.NewSpacer(), exportCSV, exportJSON)

	v.info = widget.NewLabel("")
	v.details = newDetails()
	v.updateInfo()

	split := container.NewHSplit(v.table, v.details.root)
	split.Offset = splitOffset
	v.content = container.NewBorder(container.NewVBox(v.banner, toolbar), v.info, nil, nil, split)
}

// warningTint is the theme's warning colour, faded so text stays readable
// on it in light and dark themes.
func warningTint() color.Color {
	r, g, b, _ := theme.Color(theme.ColorNameWarning).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x40}
}

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

func cellText(r webhook.Rejection, col int, loc *time.Location) string {
	switch col {
	case 0:
		return r.ReceivedAt.In(loc).Format(shortTimeLayout)
	case 1:
		return oneLine(r.RemoteAddr)
	case 2:
		return oneLine(r.Reason)
	case 3:
		return oneLine(r.Hint)
	}
	return ""
}

// details is the right-hand pane for the selected refusal. All of it is
// plain text: everything but our reason and hint came from the sender.
type details struct {
	placeholder *widget.Label
	title       *widget.Label
	cause       *widget.Label
	facts       *widget.Label
	headers     *widget.Label
	preview     *widget.Label
	body        *fyne.Container
	outer       *fyne.Container
	root        *container.Scroll
}

func newDetails() *details {
	d := &details{}
	d.placeholder = widget.NewLabel("Select a refused delivery to see its details.")
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.Wrapping = fyne.TextWrapWord
	d.cause = widget.NewLabel("")
	d.cause.Wrapping = fyne.TextWrapWord
	d.facts = widget.NewLabel("")
	d.facts.Wrapping = fyne.TextWrapBreak
	d.facts.Selectable = true
	mono := fyne.TextStyle{Monospace: true}
	d.headers = widget.NewLabelWithStyle("", fyne.TextAlignLeading, mono)
	d.headers.Wrapping = fyne.TextWrapBreak
	d.headers.Selectable = true
	d.preview = widget.NewLabelWithStyle("", fyne.TextAlignLeading, mono)
	d.preview.Wrapping = fyne.TextWrapBreak
	d.preview.Selectable = true
	bold := fyne.TextStyle{Bold: true}
	d.body = container.NewVBox(d.title, d.cause, d.facts,
		widget.NewLabelWithStyle("Headers", fyne.TextAlignLeading, bold), d.headers,
		widget.NewLabelWithStyle("Body preview (escaped)", fyne.TextAlignLeading, bold), d.preview)
	d.body.Hide()
	d.outer = container.NewVBox(d.placeholder, d.body)
	d.root = container.NewVScroll(d.outer)
	return d
}

func (d *details) show(r webhook.Rejection, loc *time.Location) {
	d.placeholder.Hide()
	title := oneLine(r.Reason)
	if r.Hint != "" {
		title += ": " + oneLine(r.Hint)
	}
	d.title.SetText(title)
	_, cause := classify(r)
	d.cause.SetText(cause)
	d.facts.SetText(Facts(r, loc))
	d.headers.SetText(Headers(r.Headers))
	if len(r.BodyPreview) == 0 && r.Size == 0 {
		d.preview.SetText("(empty body)")
	} else {
		d.preview.SetText(Preview(r.BodyPreview, r.Size))
	}
	d.body.Show()
	d.relayout()
}

// relayout lays the pane out again after its content changed size. Drivers
// that re-measure every frame do not need it; it keeps others (and the test
// canvas) from drawing stale positions.
func (d *details) relayout() {
	d.root.Refresh()
	d.outer.Refresh()
}

// Facts are how the refused request arrived and what ipfwatch answered.
func Facts(r webhook.Rejection, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received at: %s\n", r.ReceivedAt.In(loc).Format(timeLayout))
	fmt.Fprintf(&b, "From: %s\n", oneLine(r.RemoteAddr))
	fmt.Fprintf(&b, "Request: %s %s, %d bytes\n", oneLine(r.Method), oneLine(r.Path), r.Size)
	if r.UserAgent != "" {
		fmt.Fprintf(&b, "User-Agent: %s\n", oneLine(r.UserAgent))
	}
	fmt.Fprintf(&b, "Answered: %d %s\n", r.Status, oneLine(r.Reason))
	sum := r.BodySHA256
	if sum == "" {
		sum = "(not computed: body over the size limit)"
	}
	fmt.Fprintf(&b, "Body SHA-256: %s\n", oneLine(sum))
	sig := r.Signature
	if sig == "" {
		sig = "(none)"
	}
	fmt.Fprintf(&b, "Signature received: %s\nRejection id: %d", oneLine(sig), r.ID)
	return b.String()
}

// Headers lists request headers one a line, sorted by name, escaped.
func Headers(h map[string]string) string {
	if len(h) == 0 {
		return "(none recorded)"
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, k := range names {
		lines[i] = oneLine(k) + ": " + oneLine(h[k])
	}
	return strings.Join(lines, "\n")
}

// askExport asks where to save the loaded refusals. UI goroutine.
func (v *View) askExport(format string) {
	rows := append([]webhook.Rejection(nil), v.rows...)
	export.Ask(v.win, "ipfwatch-signature-failures."+format, func(w io.WriteCloser) { v.export(w, format, rows) })
}

// export writes rows off the UI goroutine and reports a failure in a dialog.
func (v *View) export(w io.WriteCloser, format string, rows []webhook.Rejection) {
	v.background(func(context.Context) func() {
		err := export.To(w, format,
			func(w io.Writer) error { return WriteCSV(w, rows) },
			func(w io.Writer) error { return WriteJSON(w, rows) })
		if err == nil {
			return nil
		}
		v.opt.log.Warn("failures view: export failed", "err", err)
		return func() { dialog.ShowError(err, v.win) }
	})
}
