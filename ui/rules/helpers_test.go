package rules

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// newApp opens a real App on a temporary directory; it writes the example
// rules file, as on a first start.
func newApp(tb testing.TB) *app.App {
	tb.Helper()
	return uitest.NewApp(tb, uitest.AppOptions{})
}

// insert stores an event as the listener would hand it over (with no user
// agent).
func insert(tb testing.TB, a *app.App, p send.Payload, at time.Time) int64 {
	tb.Helper()
	d := uitest.Delivery(tb, p, at)
	d.UserAgent = ""
	res, err := a.Store().InsertEvent(context.Background(), d)
	if err != nil {
		tb.Fatalf("insert: %v", err)
	}
	return res.ID
}

func withQueue(q uitest.Queue) viewkit.Option { return viewkit.WithDo(q.Do) }

// settle runs posted work until the view has nothing in flight.
func settle(tb testing.TB, v *View, q uitest.Queue) {
	tb.Helper()
	uitest.Settle(tb, q, &v.Pending)
}

// newView builds the view in a test window of a fixed size.
func newView(tb testing.TB, a *app.App, opts ...viewkit.Option) (*View, fyne.Window, uitest.Queue) {
	tb.Helper()
	q := make(uitest.Queue, 64)
	var v *View
	w := uitest.Show(tb, func(w fyne.Window) fyne.CanvasObject {
		v = New(a, w, append([]viewkit.Option{withQueue(q)}, opts...)...)
		return v.Content()
	}, fyne.NewSize(1200, 800))
	settle(tb, v, q)
	return v, w, q
}
