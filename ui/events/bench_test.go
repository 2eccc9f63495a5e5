package events

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/pagedtable"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// BenchmarkFirstPage100k measures what the engineer waits for on a database
// of 100,000 events (inserted once, outside the measurement).
//
// "open" is opening the Events view: building it, the first page query off
// the UI goroutine, and laying out and drawing the table with that page.
// The others are a filter change on an open view: one page query and the
// table redrawn. A status matches one event in six; the snapshot id matches
// one event, so that search reads the whole table.
func BenchmarkFirstPage100k(b *testing.B) {
	test.NewTempApp(b)
	a := newApp(b, false)
	bulkInsert(b, a, 100_000)

	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			q := make(uitest.Queue, 64)
			w := test.NewWindow(widget.NewLabel(""))
			v := New(a, w, withQueue(q), viewkit.WithLocation(time.UTC))
			w.SetContent(v.Content())
			w.Resize(fyne.NewSize(1400, 800))
			settle(b, v, q)
			if len(v.tbl.Rows) != pagedtable.PageSize {
				b.Fatalf("loaded %d rows, want %d", len(v.tbl.Rows), pagedtable.PageSize)
			}
			w.Close()
		}
	})

	filters := []struct {
		name string
		f    store.EventFilter
		want int
	}{
		{name: "filter-status", f: store.EventFilter{Status: "failed"}, want: pagedtable.PageSize},
		{name: "search-rare-id", f: store.EventFilter{Search: "snap-000007"}, want: 1},
	}
	for _, c := range filters {
		b.Run(c.name, func(b *testing.B) {
			q := make(uitest.Queue, 64)
			w := test.NewWindow(widget.NewLabel(""))
			defer w.Close()
			v := New(a, w, withQueue(q), viewkit.WithLocation(time.UTC))
			w.SetContent(v.Content())
			w.Resize(fyne.NewSize(1400, 800))
			settle(b, v, q)
			v.query = c.f
			for b.Loop() {
				v.reload()
				settle(b, v, q)
			}
			if len(v.tbl.Rows) != c.want {
				b.Fatalf("loaded %d rows, want %d", len(v.tbl.Rows), c.want)
			}
		})
	}
}
