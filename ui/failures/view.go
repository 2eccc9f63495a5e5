// Package failures is the Signature failures view of the main window: every
// delivery the listener refused, newest first, with what the engineer needs
// to see why IP Fabric and ipfwatch disagree, and a banner naming the likely
// cause while failures are recent.
//
// Its table is the paged table of the Events view (ui/internal/pagedtable);
// queries run off the UI goroutine and widgets change only on it (through
// fyne.Do).
package failures

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
	"github.com/ipfwatch/ipfwatch/ui/internal/pagedtable"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const (
	// recentWindow is how far back the banner looks.
	recentWindow = 24 * time.Hour
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

// View is the Signature failures view. Build it with New on the UI
// goroutine; Changed may be called from any goroutine.
type View struct {
	a   *app.App
	win fyne.Window
	viewkit.Base

	queries atomic.Int64 // ListRejections calls made

	// UI goroutine only.
	tbl         *pagedtable.Table[webhook.Rejection]
	shownBanner banner

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
func New(a *app.App, win fyne.Window, opts ...viewkit.Option) *View {
	v := &View{a: a, win: win}
	v.Init(opts)
	v.build()
	gen := v.tbl.StartOver()
	v.Background(func(context.Context) func() {
		latest, rows, b, err := v.firstPage()
		return func() { v.applyFirst(gen, latest, rows, b, err) }
	})
	return v
}

// Content is the view's root object, for the shell's tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Shown tells the view the engineer is looking at it: the banner is
// brought up to date (a failure may have aged out of the last 24 hours).
// Marking the failures seen is the shell's, which owns the tray's
// attention. Call it on the UI goroutine when the tab is selected.
func (v *View) Shown() {
	gen := v.tbl.Gen()
	v.Background(func(ctx context.Context) func() {
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
	if c.ID != 0 && c.ID <= v.tbl.Covered() {
		return // a burst: an earlier refresh already loaded this one
	}
	gen := v.tbl.Gen()
	latest, rows, b, err := v.firstPage()
	v.Post(func() { v.applyFirst(gen, latest, rows, b, err) })
}

func (v *View) list(ctx context.Context, f store.RejectionFilter) ([]webhook.Rejection, error) {
	v.queries.Add(1)
	f.Limit = pagedtable.PageSize
	return v.a.Store().ListRejections(ctx, f)
}

// firstPage reads the newest page, the latest rejection id issued before it
// and what the banner should say.
func (v *View) firstPage() (int64, []webhook.Rejection, banner, error) {
	ctx, cancel := v.Query()
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
	since := v.Opt.Now().Add(-recentWindow)
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

// applyFirst folds a fresh first page, read under generation gen, into
// the view. UI goroutine.
func (v *View) applyFirst(gen uint64, latest int64, fresh []webhook.Rejection, b banner, err error) {
	if gen != v.tbl.Gen() {
		return
	}
	if err != nil {
		v.tbl.Fail(err)
		return
	}
	v.showBanner(b)
	v.tbl.Merge(gen, fresh, latest)
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

func (v *View) updateInfo() {
	var s string
	switch {
	case v.tbl.Err != nil:
		s = "Could not load refused deliveries: " + v.tbl.Err.Error()
	case !v.tbl.Loaded:
		s = "Loading refused deliveries…"
	case len(v.tbl.Rows) == 0:
		s = "No refused deliveries. Every request so far was signed correctly."
	case len(v.tbl.Rows) == 1:
		s = "1 refused delivery"
	case v.tbl.Exhausted:
		s = strconv.Itoa(len(v.tbl.Rows)) + " refused deliveries"
	default:
		s = strconv.Itoa(len(v.tbl.Rows)) + " refused deliveries loaded; scroll down for older ones."
	}
	v.info.SetText(s)
}

func (v *View) build() {
	v.details = newDetails()
	v.tbl = pagedtable.New(&v.Base, pagedtable.Spec[webhook.Rejection]{
		Columns: columns, Widths: columnWidths,
		ID:   func(r webhook.Rejection) int64 { return r.ID },
		Cell: func(r webhook.Rejection, col int) string { return cellText(r, col, v.Opt.Loc) },
		Page: func(ctx context.Context, before int64) ([]webhook.Rejection, error) {
			return v.list(ctx, store.RejectionFilter{BeforeID: before})
		},
		Selected: func(r webhook.Rejection) { v.details.show(r, v.Opt.Loc) },
		Changed:  v.updateInfo,
		Failed:   func(err error) { v.Opt.Log.Warn("failures view: query failed", "err", err) },
	})

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
	v.updateInfo()

	split := container.NewHSplit(v.tbl.Widget, v.details.root)
	split.Offset = splitOffset
	v.content = container.NewBorder(container.NewVBox(v.banner, toolbar), v.info, nil, nil, split)
}

// warningTint is the theme's warning colour, faded so text stays readable
// on it in light and dark themes.
func warningTint() color.Color {
	r, g, b, _ := theme.Color(theme.ColorNameWarning).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x40}
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
	d.title = viewkit.Heading("")
	d.cause = viewkit.Wrapped("")
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

// askExport asks where to save the loaded rows, as shown. UI goroutine.
func (v *View) askExport(format string) {
	export.Save(v, v.win, v.Opt.Log, "ipfwatch-signature-failures", format, slices.Clone(v.tbl.Rows), WriteCSV, WriteJSON)
}

// export writes rows to w (tests call it in place of the save dialog).
func (v *View) export(w io.WriteCloser, format string, rows []webhook.Rejection) {
	export.SaveTo(v, v.win, v.Opt.Log, w, format, rows, WriteCSV, WriteJSON)
}
