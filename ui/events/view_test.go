package events

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
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/export"
	"github.com/ipfwatch/ipfwatch/ui/internal/pagedtable"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

var base = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

const (
	snapA = "11111111-aaaa-4000-8000-000000000001"
	snapB = "22222222-bbbb-4000-8000-000000000002"
	snapC = "33333333-cccc-4000-8000-000000000003"
)

// samples are five events: a discovery of snapshot A with the intent
// verification that follows it, a failed discovery of B and a test webhook.
// They get ids 1 to 5 in this order.
func samples(tb testing.TB) []webhook.Event {
	return []webhook.Event{
		uitest.Delivery(tb, send.Payload{Status: "started", SnapshotID: snapA, SnapshotName: "site-A", Time: base}, base),
		uitest.Delivery(tb, send.Payload{Status: "completed", SnapshotID: snapA, SnapshotName: "site-A", Time: base.Add(10 * time.Minute)}, base.Add(10*time.Minute)),
		uitest.Delivery(tb, send.Payload{Type: "intent-verification", SnapshotID: snapA, Time: base.Add(12 * time.Minute)}, base.Add(12*time.Minute)),
		uitest.Delivery(tb, send.Payload{Status: "failed", SnapshotID: snapB, SnapshotName: "site-B", Reason: "out of memory", Time: base.Add(20 * time.Minute)}, base.Add(20*time.Minute)),
		uitest.Delivery(tb, send.Payload{Action: "load", SnapshotID: snapC, SnapshotName: "ipfwatch test", Test: true, Time: base.Add(30 * time.Minute)}, base.Add(30*time.Minute)),
	}
}

func sampleApp(tb testing.TB) *app.App {
	a := newApp(tb, false)
	for _, d := range samples(tb) {
		insert(tb, a, d)
	}
	return a
}

func TestRowsAppear(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	v, w, _ := newView(t, a, viewkit.WithLocation(time.UTC))

	if got, want := rowIDs(v), []int64{5, 4, 3, 2, 1}; !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v (newest first)", got, want)
	}
	for _, s := range []string{"Time", "Snapshot", "Dups", "03-04 09:20:00", "site-B", "failed",
		"intent-verification", snapA, "ipfwatch test", "test", "5 events"} {
		if !uitest.ContainsLabel(w.Content(), s) {
			t.Errorf("window shows no %q; labels: %q", s, uitest.Labels(w.Content()))
		}
	}
	if got := v.queries.Load(); got != 1 {
		t.Errorf("queries = %d, want 1 for the first page", got)
	}
}

func TestFiltersNarrow(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	tests := []struct {
		name   string
		status string
		typ    string
		search string
		want   []int64
	}{
		{name: "status failed", status: "failed", want: []int64{4}},
		{name: "status completed", status: "completed", want: []int64{5, 3, 2}},
		{name: "type intent", typ: "intent-verification", want: []int64{3}},
		{name: "type and status", status: "completed", typ: "snapshot", want: []int64{5, 2}},
		{name: "search name", search: "site-A", want: []int64{2, 1}},
		{name: "search reason", search: "memory", want: []int64{4}},
		{name: "search snapshot id", search: "aaaa-4000", want: []int64{3, 2, 1}},
		{name: "search no match", search: "nowhere", want: []int64{}},
		{name: "search and status", search: "site", status: "started", want: []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
			before := v.queries.Load()
			if tt.status != "" {
				v.statusSel.SetSelected(tt.status)
			}
			if tt.typ != "" {
				v.typeSel.SetSelected(tt.typ)
			}
			if tt.search != "" {
				// Let the selects' own query finish first, so only the
				// search's queries are counted below.
				settle(t, v, q)
				withSelects := v.queries.Load()
				test.Type(v.search, tt.search)
				settle(t, v, q)
				// Typing a whole word runs one search, not one per key.
				if got := v.queries.Load() - withSelects; got > 1 {
					t.Errorf("typing %q ran %d queries, want 1", tt.search, got)
				}
			}
			settle(t, v, q)
			if got := rowIDs(v); !slices.Equal(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
			if v.queries.Load() == before {
				t.Errorf("no query ran for the new filter")
			}
			if len(tt.want) == 0 && !uitest.ContainsLabel(w.Content(), "No events match the filters.") {
				t.Errorf("empty result not explained; labels: %q", uitest.Labels(w.Content()))
			}
		})
	}
}

// rowOf returns the table row showing event id.
func rowOf(t *testing.T, v *View, id int64) int {
	t.Helper()
	for i, r := range v.tbl.Rows {
		if r.ID == id {
			return i
		}
	}
	t.Fatalf("event %d not loaded (rows %v)", id, rowIDs(v))
	return -1
}

func TestSelectShowsDetails(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	if !uitest.ContainsLabel(w.Content(), "Select an event to see its details.") {
		t.Errorf("no placeholder before selection")
	}

	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 2), Col: 0})
	settle(t, v, q)

	d := v.details
	if got, want := d.title.Text, "Snapshot discover completed"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	wantSummary := `The discover of snapshot "site-A" (` + snapA + `) has completed. Requested by user:1. IP Fabric's timestamp: 2025-03-04 09:10:00.`
	if d.summary.Text != wantSummary {
		t.Errorf("summary = %q\nwant      %q", d.summary.Text, wantSummary)
	}
	for _, fact := range []string{"Received at: 2025-03-04 09:10:00", "From: 192.0.2.10:50123 (IPF-Webhook/7.2)",
		"Secret matched: current", "Duplicates: none", "Event id: 2"} {
		if !strings.Contains(d.facts.Text, fact) {
			t.Errorf("facts lack %q:\n%s", fact, d.facts.Text)
		}
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, samples(t)[1].Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	if d.raw.Text != pretty.String() {
		t.Errorf("raw JSON = %q, want the indented body %q", d.raw.Text, pretty.String())
	}
	if !d.raw.TextStyle.Monospace {
		t.Errorf("raw JSON is not monospace")
	}

	// The same snapshot: the start, this event, and the intent verification
	// that followed.
	if got := len(d.related.Objects); got != 3 {
		t.Fatalf("related events = %d, want 3", got)
	}
	intent, ok := d.related.Objects[2].(*widget.Hyperlink)
	if !ok || !strings.Contains(intent.Text, "03-04 09:12:00  intent-verification calculate completed") {
		t.Fatalf("third related event = %#v, want a link to the intent verification", d.related.Objects[2])
	}
	// The shown event is marked, as text: there is nothing to follow.
	if self, ok := d.related.Objects[1].(*widget.Label); !ok || !strings.Contains(self.Text, "(this event)") {
		t.Errorf("the shown event is not marked in the related list: %#v", d.related.Objects[1])
	}
	if !uitest.ContainsLabel(w.Content(), "Events of this snapshot") {
		t.Errorf("related list has no title")
	}

	// Following the intent verification shows it and selects its row. (A
	// link reacts to taps on its text, not on its padding.)
	test.TapAt(intent, fyne.NewPos(theme.InnerPadding()+2, theme.InnerPadding()+2))
	settle(t, v, q)
	if got, want := d.title.Text, "Intent verification calculate completed"; got != want {
		t.Errorf("after tapping the related event, title = %q, want %q", got, want)
	}
	if row, _ := v.tbl.SelectedCell(); v.tbl.SelectedID() != 3 || row != rowOf(t, v, 3) {
		t.Errorf("selected event %d row %d, want event 3 row %d", v.tbl.SelectedID(), row, rowOf(t, v, 3))
	}

	// An event alone in its snapshot has no related list.
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 4), Col: 0})
	settle(t, v, q)
	if d.related.Visible() || d.relatedTitle.Visible() {
		t.Errorf("related list shown for an event alone in its snapshot")
	}
	if !strings.Contains(d.summary.Text, "has failed: out of memory.") {
		t.Errorf("failed summary = %q, want the reason", d.summary.Text)
	}
}

func TestDuplicateUpdatesRowAndDetails(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 4), Col: 0})
	settle(t, v, q)

	again := samples(t)[3]
	again.ReceivedAt = base.Add(25 * time.Minute)
	res, err := a.Store().InsertEvent(context.Background(), again)
	if err != nil || !res.Duplicate || res.ID != 4 {
		t.Fatalf("insert duplicate = %+v, %v; want a duplicate of 4", res, err)
	}
	v.Changed(app.Change{Kind: app.EventDuplicate, ID: 4})
	settle(t, v, q)
	if got := v.tbl.Rows[rowOf(t, v, 4)].Duplicates; got != 1 {
		t.Errorf("row duplicates = %d, want 1", got)
	}
	if !strings.Contains(v.details.facts.Text, "Duplicates: 1 (last seen 2025-03-04 09:25:00)") {
		t.Errorf("facts not updated:\n%s", v.details.facts.Text)
	}
}

func TestNewEventOverHTTPAppearsLive(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, true)
	first := insert(t, a, uitest.Delivery(t, send.Payload{SnapshotName: "before", Time: time.Now()}, time.Now()))
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	v.tbl.Widget.Select(widget.TableCellID{Row: 0, Col: 2})
	settle(t, v, q)

	sub := a.Subscribe()
	defer sub.Close()
	body := send.Body(send.Payload{SnapshotName: "live-1", Status: "failed", Reason: "disk full"})
	ans, err := send.Signed(context.Background(), a.URL(), secret, body)
	if err != nil || ans.Status != 200 {
		t.Fatalf("send = %+v, %v; want 200", ans, err)
	}
	c := uitest.WaitChange(t, sub, app.EventStored)
	v.Changed(c)
	settle(t, v, q)

	if len(v.tbl.Rows) != 2 || v.tbl.Rows[0].ID != c.ID || v.tbl.Rows[0].SnapshotName != "live-1" {
		t.Fatalf("rows = %+v, want the new event on top", rowIDs(v))
	}
	if !uitest.ContainsLabel(w.Content(), "live-1") {
		t.Errorf("new event not drawn; labels: %q", uitest.Labels(w.Content()))
	}
	if row, col := v.tbl.SelectedCell(); v.tbl.SelectedID() != first || row != 1 || col != 2 {
		t.Errorf("selection = event %d row %d col %d, want event %d kept on row 1 col 2",
			v.tbl.SelectedID(), row, col, first)
	}
	if !strings.Contains(v.details.title.Text, "Snapshot discover completed") {
		t.Errorf("details changed to %q; they should stay on the selected event", v.details.title.Text)
	}

	// The same announcement again (a burst) costs no query.
	n := v.queries.Load()
	v.Changed(c)
	settle(t, v, q)
	if v.queries.Load() != n {
		t.Errorf("an event already shown was queried again")
	}

	// IP Fabric retrying the delivery raises its duplicate count.
	if ans, err := send.Signed(context.Background(), a.URL(), secret, body); err != nil || ans.Status != 200 {
		t.Fatalf("resend = %+v, %v", ans, err)
	}
	v.Changed(uitest.WaitChange(t, sub, app.EventDuplicate))
	settle(t, v, q)
	if v.tbl.Rows[0].Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", v.tbl.Rows[0].Duplicates)
	}
}

func TestPagingLoadsOnDemand(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	bulkInsert(t, a, 10_000)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))

	if got := v.queries.Load(); got != 1 {
		t.Fatalf("queries after opening = %d, want 1", got)
	}
	if len(v.tbl.Rows) != pagedtable.PageSize || v.tbl.Rows[0].ID != 10_000 {
		t.Fatalf("loaded %d rows from id %d, want the newest page of %d", len(v.tbl.Rows), v.tbl.Rows[0].ID, pagedtable.PageSize)
	}
	// Redrawing costs nothing: the table reads what is loaded.
	for range 5 {
		v.tbl.Widget.Refresh()
		w.Canvas().Refresh(v.Content())
	}
	settle(t, v, q)
	if got := v.queries.Load(); got != 1 {
		t.Errorf("queries after redraws = %d, want 1", got)
	}
	if !uitest.ContainsLabel(w.Content(), "200 events loaded; scroll down for older ones.") {
		t.Errorf("info does not say more can be loaded; labels: %q", uitest.Labels(w.Content()))
	}

	// Scrolling to the bottom loads exactly the next page, each time.
	for page := 2; page <= 4; page++ {
		v.tbl.Widget.ScrollToBottom()
		settle(t, v, q)
		if got := v.queries.Load(); got != int64(page) {
			t.Fatalf("queries after scroll %d = %d, want %d", page-1, got, page)
		}
		if len(v.tbl.Rows) != page*pagedtable.PageSize {
			t.Fatalf("rows after scroll %d = %d, want %d", page-1, len(v.tbl.Rows), page*pagedtable.PageSize)
		}
	}
	for i := 1; i < len(v.tbl.Rows); i++ {
		if v.tbl.Rows[i].ID != v.tbl.Rows[i-1].ID-1 {
			t.Fatalf("row %d is event %d after %d: pages overlap or leave a gap", i, v.tbl.Rows[i].ID, v.tbl.Rows[i-1].ID)
		}
	}
}

func TestPagingStopsAtTheEnd(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	bulkInsert(t, a, pagedtable.PageSize+10)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	v.tbl.Widget.ScrollToBottom()
	settle(t, v, q)
	if len(v.tbl.Rows) != pagedtable.PageSize+10 || !v.tbl.Exhausted {
		t.Fatalf("rows = %d exhausted = %v, want %d and the end reached", len(v.tbl.Rows), v.tbl.Exhausted, pagedtable.PageSize+10)
	}
	n := v.queries.Load()
	v.tbl.Widget.ScrollToBottom()
	v.tbl.Widget.Refresh()
	settle(t, v, q)
	if v.queries.Load() != n {
		t.Errorf("queried again after the last page")
	}
	if !uitest.ContainsLabel(w.Content(), "210 events") {
		t.Errorf("info = %q", v.info.Text)
	}
}

func TestRemediateButton(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	v, _, q := newView(t, a, viewkit.WithLocation(time.UTC))
	if v.details.remediate.Visible() {
		t.Fatalf("Remediate shown without a hook")
	}
	var got []int64
	v.SetRemediate(func(id int64) { got = append(got, id) })
	if v.details.remediate.Visible() {
		t.Errorf("Remediate shown with no event selected")
	}
	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 4), Col: 0})
	settle(t, v, q)
	if !v.details.remediate.Visible() {
		t.Fatalf("Remediate hidden for a selected event")
	}
	test.Tap(v.details.remediate)
	if !slices.Equal(got, []int64{4}) {
		t.Errorf("hook called with %v, want [4]", got)
	}
	v.SetRemediate(nil)
	if v.details.remediate.Visible() {
		t.Errorf("Remediate still shown after the hook was removed")
	}
}

// bufCloser is an export destination that remembers being closed.
type bufCloser struct {
	bytes.Buffer
	closed bool
}

func (b *bufCloser) Close() error { b.closed = true; return nil }

func TestExportWritesTheFilteredRows(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	v.statusSel.SetSelected("completed")
	settle(t, v, q)

	var out bufCloser
	v.export(&out, export.CSV, v.tbl.Rows)
	settle(t, v, q)
	if !out.closed {
		t.Errorf("export did not close the file")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "id,received_at,") || !strings.HasPrefix(lines[1], "5,") {
		t.Errorf("CSV export =\n%s\nwant the header and events 5, 3, 2", out.String())
	}

	var js bufCloser
	v.export(&js, export.JSON, v.tbl.Rows)
	settle(t, v, q)
	var got []map[string]any
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got) != 3 {
		t.Errorf("JSON export = %s (%v), want 3 events", js.String(), err)
	}

	// The button asks where to save.
	for _, o := range test.LaidOutObjects(v.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Export CSV…" {
			test.Tap(b)
		}
	}
	if w.Canvas().Overlays().Top() == nil {
		t.Errorf("Export CSV… opened no file dialog")
	}
}

func TestUntrustedTextStaysPlain(t *testing.T) {
	test.NewTempApp(t)
	a := newApp(t, false)
	name := "**bold** [link](http://x)\n# heading\u202e"
	insert(t, a, uitest.Delivery(t, send.Payload{SnapshotName: name, Time: base}, base))
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	if got := cellText(v.tbl.Rows[0], 4, time.UTC); got != "**bold** [link](http://x)\uFFFD# heading\uFFFD" {
		t.Errorf("cell = %q, want the name on one line with controls replaced", got)
	}
	v.tbl.Widget.Select(widget.TableCellID{Row: 0, Col: 0})
	settle(t, v, q)
	if !strings.Contains(v.details.raw.Text, `"name": "**bold** [link](http://x)\n# heading\u202e"`) {
		t.Errorf("raw JSON altered: %q", v.details.raw.Text)
	}
	if !uitest.ContainsLabel(w.Content(), "**bold** [link](http://x)") {
		t.Errorf("name not shown as plain text; labels: %q", uitest.Labels(w.Content()))
	}
}

func TestGoldenMarkup(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	again := samples(t)[3]
	again.ReceivedAt = base.Add(21 * time.Minute)
	insert(t, a, again) // a duplicate, so the Dups column shows something
	cet := time.FixedZone("CET", 3600)
	v, w, q := newView(t, a, viewkit.WithLocation(cet))
	test.AssertRendersToMarkup(t, "events_list.xml", w.Canvas())

	v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, 2), Col: 0})
	settle(t, v, q)
	test.AssertRendersToMarkup(t, "events_selected.xml", w.Canvas())
}

func TestFitsTheMainWindow(t *testing.T) {
	test.NewTempApp(t)
	a := sampleApp(t)
	// A long name, requester and reason must not widen anything either.
	long := strings.Repeat("long-snapshot-name-", 8)
	insert(t, a, uitest.Delivery(t, send.Payload{Type: "intent-verification", Status: "failed", SnapshotID: snapA,
		SnapshotName: long, Requester: "snapshot:discover", Reason: strings.Repeat("nowhitespace", 20),
		Time: base.Add(40 * time.Minute)}, base.Add(40*time.Minute)))
	v, w, q := newView(t, a, viewkit.WithLocation(time.UTC))
	w.SetContent(uitest.InShell("Events", theme.ListIcon(), v.Content()))
	w.Resize(uitest.MainWindow)

	// The table puts the theme's padding after each column.
	var columnsWidth float32
	for _, cw := range columnWidths {
		columnsWidth += cw + theme.Padding()
	}
	for _, id := range []int64{0, 6, 2, 4} {
		if id != 0 {
			v.tbl.Widget.Select(widget.TableCellID{Row: rowOf(t, v, id), Col: 0})
			settle(t, v, q)
		}
		room := uitest.MainWindow.Subtract(fyne.NewSquareSize(2 * theme.Padding()))
		if min := w.Content().MinSize(); min.Width > room.Width || min.Height > room.Height {
			t.Errorf("event %d selected: the view needs %v, more than the window's %v", id, min, room)
		}
		if got := v.tbl.Widget.Size().Width; got < columnsWidth {
			t.Errorf("event %d selected: the table is %.0f wide, its columns need %.0f", id, got, columnsWidth)
		}
	}
}
