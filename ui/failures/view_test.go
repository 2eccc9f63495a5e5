package failures

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
	"github.com/ipfwatch/ipfwatch/ui/internal/pagedtable"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// now is the injected clock of the fixed-data tests.
var now = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return now }

func TestRowsAndDetails(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	insert(t, a, rejection(now.Add(-3*time.Hour), listener.HintPreviousSecret))
	hostile := rejection(now.Add(-2*time.Hour), listener.HintHeaderMissing)
	hostile.Signature = ""
	hostile.BodyPreview = []byte("{\"a\":\"\x1b[31mred\\\u202eevil\xff\"}\r\n**md**")
	hostile.Size = 9000
	hostile.Headers = map[string]string{"User-Agent": "curl/8", "Content-Type": "text/plain", "X-Note": "a\x07b"}
	insert(t, a, hostile)
	v, w, _ := newView(t, a, viewkit.WithLocation(time.UTC), viewkit.WithNow(fixedNow))

	if got := rowIDs(v); !slices.Equal(got, []int64{2, 1}) {
		t.Fatalf("rows = %v, want [2 1] (newest first)", got)
	}
	for _, s := range []string{"Time", "Remote address", "Reason", "Hint", "03-04 10:00:00",
		"192.0.2.20:41000", "Invalid message signature", "header missing", "matches the previous secret", "2 refused deliveries"} {
		if !uitest.ContainsLabel(w.Content(), s) {
			t.Errorf("window shows no %q; labels %q", s, uitest.Labels(w.Content()))
		}
	}

	v.tbl.Widget.Select(widget.TableCellID{Row: 0, Col: 1})
	test.AssertRendersToMarkup(t, "failures_hostile.xml", w.Canvas())
	d := v.details
	if got, want := d.title.Text, "Invalid message signature: header missing"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if d.cause.Text != CauseHeaderMissing {
		t.Errorf("cause = %q, want %q", d.cause.Text, CauseHeaderMissing)
	}
	for _, fact := range []string{"Received at: 2025-03-04 10:00:00", "From: 192.0.2.20:41000",
		"Request: POST /ipfabric, 9000 bytes", "Answered: 400 Invalid message signature",
		"Body SHA-256: 9f86d081", "Signature received: (none)", "User-Agent: IPF-Webhook/7.2"} {
		if !strings.Contains(d.facts.Text, fact) {
			t.Errorf("facts lack %q:\n%s", fact, d.facts.Text)
		}
	}
	if want := "Content-Type: text/plain\nUser-Agent: curl/8\nX-Note: a\\x07b"; d.headers.Text != want {
		t.Errorf("headers = %q, want %q", d.headers.Text, want)
	}
	wantPreview := "{\"a\":\"\\x1b[31mred\\\\\\xe2\\x80\\xaeevil\\xff\"}\\x0d\n**md**\n… the first 33 of 9000 bytes"
	if d.preview.Text != wantPreview {
		t.Errorf("preview = %q\nwant      %q", d.preview.Text, wantPreview)
	}
	if !d.preview.TextStyle.Monospace {
		t.Errorf("preview is not monospace")
	}
}

func TestBadSignatureOverHTTPAppearsLive(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, true)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	if v.banner.Visible() {
		t.Fatalf("banner shown with no failures")
	}
	if !uitest.ContainsLabel(w.Content(), "No refused deliveries.") {
		t.Errorf("empty view not explained; labels %q", uitest.Labels(w.Content()))
	}

	sub := a.Subscribe()
	defer sub.Close()
	// A proxy appends a newline after IP Fabric signed the body.
	body := send.Body(send.Payload{SnapshotName: "bad"})
	sig := listener.Sign(body, secret)
	ans, err := send.Do(context.Background(), nil, a.URL(), append(body, '\n'), sig)
	if err != nil || ans.Status != 400 {
		t.Fatalf("send = %+v, %v; want 400", ans, err)
	}
	c := uitest.WaitChange(t, sub, app.RejectionRecorded)
	v.Changed(c)
	settle(t, v, q)

	if len(v.tbl.Rows) != 1 || v.tbl.Rows[0].ID != c.ID || v.tbl.Rows[0].Hint != listener.HintTrailingNewline {
		t.Fatalf("rows = %+v, want the refused delivery with its hint", v.tbl.Rows)
	}
	for _, s := range []string{"Invalid message signature", listener.HintTrailingNewline, "1 delivery was refused in the last 24 hours.",
		"Likely cause: " + CauseTrailingNewline} {
		if !uitest.ContainsLabel(w.Content(), s) {
			t.Errorf("window shows no %q; labels %q", s, uitest.Labels(w.Content()))
		}
	}
	n := v.queries.Load()
	v.Changed(c)
	v.Changed(app.Change{Kind: app.EventStored, ID: 99})
	settle(t, v, q)
	if v.queries.Load() != n {
		t.Errorf("a rejection already shown, or an event, caused a query")
	}

	v.tbl.Widget.Select(widget.TableCellID{Row: 0, Col: 0})
	if !strings.Contains(v.details.facts.Text, "Signature received: "+sig) {
		t.Errorf("facts do not show the received signature:\n%s", v.details.facts.Text)
	}
	// A second failure goes on top; the selection stays on the first.
	if ans, err := send.Do(context.Background(), nil, a.URL(), body, ""); err != nil || ans.Status != 400 {
		t.Fatalf("send = %+v, %v; want 400", ans, err)
	}
	v.Changed(uitest.WaitChange(t, sub, app.RejectionRecorded))
	settle(t, v, q)
	if row, _ := v.tbl.SelectedCell(); len(v.tbl.Rows) != 2 || v.tbl.SelectedID() != c.ID || row != 1 {
		t.Errorf("rows %v, selection %d row %d; want 2 rows and %d kept on row 1", rowIDs(v), v.tbl.SelectedID(), row, c.ID)
	}
}

func TestBanner(t *testing.T) {
	tests := []struct {
		name      string
		rows      []webhook.Rejection
		wantShown bool
		wantTitle string
		wantCause string
	}{
		{name: "none"},
		{name: "only old", rows: []webhook.Rejection{rejection(now.Add(-25*time.Hour), listener.HintPreviousSecret)}},
		{name: "one recent",
			rows:      []webhook.Rejection{rejection(now.Add(-30*time.Minute), listener.HintPreviousSecret)},
			wantShown: true, wantTitle: "1 delivery was refused in the last 24 hours.", wantCause: CausePreviousSecret},
		{name: "old ones do not vote",
			rows: []webhook.Rejection{
				rejection(now.Add(-30*time.Hour), listener.HintHeaderMissing),
				rejection(now.Add(-29*time.Hour), listener.HintHeaderMissing),
				rejection(now.Add(-2*time.Hour), ""),
				rejection(now.Add(-1*time.Hour), ""),
			},
			wantShown: true, wantTitle: "2 deliveries were refused in the last 24 hours.", wantCause: CauseSecretMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			a := newApp(t, false)
			for _, r := range tt.rows {
				insert(t, a, r)
			}
			v, _, _ := newView(t, a, viewkit.WithLocation(time.UTC), viewkit.WithNow(fixedNow))
			if v.banner.Visible() != tt.wantShown {
				t.Fatalf("banner shown = %v, want %v", v.banner.Visible(), tt.wantShown)
			}
			if !tt.wantShown {
				return
			}
			if v.bannerTitle.Text != tt.wantTitle {
				t.Errorf("banner = %q, want %q", v.bannerTitle.Text, tt.wantTitle)
			}
			if v.bannerCause.Text != "Likely cause: "+tt.wantCause {
				t.Errorf("cause = %q, want %q", v.bannerCause.Text, tt.wantCause)
			}
		})
	}
}

// TestShownReloadsAndLeavesSeenToTheShell: showing the tab reloads what
// it shows; whether the failures count as seen is the shell's business
// (it owns the tray's attention, and marks them when the tab is in front).
func TestShownReloadsAndLeavesSeenToTheShell(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	v, _, q := newView(t, a, viewkit.WithNow(fixedNow))
	settle(t, v, q)
	if len(v.tbl.Rows) != 0 {
		t.Fatalf("rows before = %d, want 0", len(v.tbl.Rows))
	}
	insert(t, a, rejection(now, ""))
	ctx := context.Background()
	v.Shown()
	settle(t, v, q)
	if len(v.tbl.Rows) != 1 {
		t.Errorf("rows after Shown = %d, want the failure recorded meanwhile", len(v.tbl.Rows))
	}
	if got := a.Status(ctx).UnseenFailures; got != 1 {
		t.Errorf("unseen failures after Shown = %d, want 1: the shell marks them", got)
	}
}

func TestPagingLoadsOnDemand(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	for i := range 2*pagedtable.PageSize + 20 {
		insert(t, a, rejection(now.Add(time.Duration(i)*time.Second), ""))
	}
	v, _, q := newView(t, a, viewkit.WithNow(fixedNow))
	if v.queries.Load() != 1 || len(v.tbl.Rows) != pagedtable.PageSize {
		t.Fatalf("after opening: %d queries, %d rows; want 1 and %d", v.queries.Load(), len(v.tbl.Rows), pagedtable.PageSize)
	}
	v.tbl.Widget.Refresh()
	settle(t, v, q)
	if v.queries.Load() != 1 {
		t.Errorf("redraw queried")
	}
	for _, want := range []int{2 * pagedtable.PageSize, 2*pagedtable.PageSize + 20} {
		v.tbl.Widget.ScrollToBottom()
		settle(t, v, q)
		if len(v.tbl.Rows) != want {
			t.Fatalf("rows after scrolling = %d, want %d", len(v.tbl.Rows), want)
		}
	}
	if v.queries.Load() != 3 || !v.tbl.Exhausted {
		t.Errorf("queries = %d exhausted = %v, want 3 and the end reached", v.queries.Load(), v.tbl.Exhausted)
	}
}

type bufCloser struct {
	bytes.Buffer
	closed bool
}

func (b *bufCloser) Close() error { b.closed = true; return nil }

func TestExportFromView(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	insert(t, a, rejection(now.Add(-time.Hour), listener.HintPreviousSecret))
	insert(t, a, rejection(now, listener.HintTrailingNewline))
	v, w, q := newView(t, a, viewkit.WithNow(fixedNow))

	var out bufCloser
	v.export(&out, export.JSON, v.tbl.Rows)
	settle(t, v, q)
	var got []exportRejection
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 2 || !out.closed {
		t.Fatalf("JSON export = %s (%v, closed %v)", out.String(), err, out.closed)
	}
	if got[0].ID != 2 || got[0].LikelyCause != CauseTrailingNewline {
		t.Errorf("first exported = %+v, want rejection 2 with its cause", got[0])
	}
	var csvOut bufCloser
	v.export(&csvOut, export.CSV, v.tbl.Rows)
	settle(t, v, q)
	if n := strings.Count(csvOut.String(), "\n"); n != 3 {
		t.Errorf("CSV export has %d lines, want 3:\n%s", n, csvOut.String())
	}
	for _, o := range test.LaidOutObjects(v.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Export JSON…" {
			test.Tap(b)
		}
	}
	if w.Canvas().Overlays().Top() == nil {
		t.Errorf("Export JSON… opened no file dialog")
	}
}

func TestGoldenMarkup(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	insert(t, a, rejection(now.Add(-26*time.Hour), ""))
	insert(t, a, rejection(now.Add(-3*time.Hour), listener.HintPreviousSecret))
	stale := rejection(now.Add(-2*time.Hour), "event is 2h0m0s old (max age 1h0m0s)")
	stale.Reason = listener.ReasonStale
	insert(t, a, stale)
	insert(t, a, rejection(now.Add(-time.Hour), listener.HintPreviousSecret))
	v, w, _ := newView(t, a, viewkit.WithLocation(time.FixedZone("CET", 3600)), viewkit.WithNow(fixedNow))
	test.AssertRendersToMarkup(t, "failures_list.xml", w.Canvas())

	v.tbl.Widget.Select(widget.TableCellID{Row: 0, Col: 0})
	test.AssertRendersToMarkup(t, "failures_selected.xml", w.Canvas())
}

func TestFitsTheMainWindow(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	insert(t, a, rejection(now.Add(-3*time.Hour), listener.HintPreviousSecret))
	// Long sender-made text without spaces must not widen anything.
	hostile := rejection(now.Add(-2*time.Hour), "event is 3h0m0s old (max age 1h0m0s)")
	hostile.Reason = listener.ReasonStale
	hostile.UserAgent = strings.Repeat("agent", 40)
	hostile.Path = "/" + strings.Repeat("p", 200)
	hostile.Headers = map[string]string{"X-Long": strings.Repeat("h", 300)}
	hostile.BodyPreview = []byte(strings.Repeat("b", 1000))
	insert(t, a, hostile)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC), viewkit.WithNow(fixedNow))
	w.SetContent(uitest.InShell("Signature failures", theme.WarningIcon(), v.Content()))
	w.Resize(uitest.MainWindow)

	// The table puts the theme's padding after each column.
	var columnsWidth float32
	for _, cw := range columnWidths {
		columnsWidth += cw + theme.Padding()
	}
	for row := -1; row < 2; row++ {
		if row >= 0 {
			v.tbl.Widget.Select(widget.TableCellID{Row: row, Col: 0})
			settle(t, v, q)
		}
		room := uitest.MainWindow.Subtract(fyne.NewSquareSize(2 * theme.Padding()))
		if min := w.Content().MinSize(); min.Width > room.Width || min.Height > room.Height {
			t.Errorf("row %d selected: the view needs %v, more than the window's %v", row, min, room)
		}
		if got := v.tbl.Widget.Size().Width; got < columnsWidth {
			t.Errorf("row %d selected: the table is %.0f wide, its columns need %.0f", row, got, columnsWidth)
		}
	}
}
