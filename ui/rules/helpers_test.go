package rules

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

// recorder is the notification sender: it keeps what would have popped up.
type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *recorder) Send(title, body string, _ bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, title+": "+body)
	return nil
}

// newApp opens a real App on a temporary directory; it writes the example
// rules file, as on a first start.
func newApp(tb testing.TB) *app.App {
	tb.Helper()
	addr := "127.0.0.1:0"
	a, err := app.Open(app.Options{DataDir: tb.TempDir(), Sender: &recorder{}, NoRunner: true,
		Overrides: config.Overrides{Listen: &addr}})
	if err != nil {
		tb.Fatalf("open app: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	return a
}

// insert stores an event as the listener would hand it over.
func insert(tb testing.TB, a *app.App, p send.Payload, at time.Time) int64 {
	tb.Helper()
	body := send.Body(p)
	ev, err := listener.Parse(body)
	if err != nil {
		tb.Fatalf("parse %s: %v", body, err)
	}
	res, err := a.Store().InsertEvent(context.Background(), listener.Delivery{
		Event: ev, Body: body, Key: listener.Key(ev), RemoteAddr: "192.0.2.10:50123",
		ReceivedAt: at, SecretMatched: listener.SecretCurrent,
	})
	if err != nil {
		tb.Fatalf("insert: %v", err)
	}
	return res.ID
}

// uiQueue stands in for the UI goroutine: the view's background work posts
// to it, and settle runs what was posted on the test's goroutine.
type uiQueue chan func()

func withQueue(q uiQueue) Option {
	return func(o *options) { o.do = func(f func()) { q <- f } }
}

// settle runs posted work until the view has nothing in flight.
func settle(tb testing.TB, v *View, q uiQueue) {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	for v.pending.Load() > 0 {
		select {
		case f := <-q:
			f()
		case <-deadline:
			tb.Fatalf("view still busy after 30s (%d pending)", v.pending.Load())
		}
	}
}

// newView builds the view in a test window of a fixed size.
func newView(tb testing.TB, a *app.App, opts ...Option) (*View, fyne.Window, uiQueue) {
	tb.Helper()
	q := make(uiQueue, 64)
	w := test.NewWindow(widget.NewLabel(""))
	v := New(a, w, append([]Option{withQueue(q)}, opts...)...)
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(1200, 800))
	settle(tb, v, q)
	tb.Cleanup(w.Close)
	return v, w, q
}

// labels returns the text of every visible label and button under o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.Button:
			out = append(out, x.Text)
		}
		switch x := o.(type) {
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func hasLabel(o fyne.CanvasObject, text string) bool {
	for _, s := range labels(o) {
		if s == text {
			return true
		}
	}
	return false
}

func containsLabel(o fyne.CanvasObject, sub string) bool {
	for _, s := range labels(o) {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// button finds a visible button by its text under o.
func button(tb testing.TB, o fyne.CanvasObject, text string) *widget.Button {
	tb.Helper()
	var found *widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() || found != nil {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return
		}
		switch x := o.(type) {
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	if found == nil {
		tb.Fatalf("no visible button %q; labels: %q", text, labels(o))
	}
	return found
}
