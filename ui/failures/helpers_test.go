package failures

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/listener"
)

const secret = "s3cret"

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

// newApp opens a real App on a temporary directory with a secret set; with
// listen it also serves on a loopback port.
func newApp(tb testing.TB, listen bool) *app.App {
	tb.Helper()
	addr := "127.0.0.1:0"
	dir := tb.TempDir()
	keepEverything(tb, dir)
	a, err := app.Open(app.Options{DataDir: dir, Sender: &recorder{}, NoRunner: true,
		Overrides: config.Overrides{Listen: &addr}})
	if err != nil {
		tb.Fatalf("open app: %v", err)
	}
	if _, err := a.SetSecret(config.Current, secret); err != nil {
		tb.Fatalf("set secret: %v", err)
	}
	if listen {
		if err := a.Start(context.Background()); err != nil {
			tb.Fatalf("start: %v", err)
		}
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

// uiQueue stands in for the UI goroutine (see settle).
type uiQueue chan func()

func withQueue(q uiQueue) Option {
	return func(o *options) { o.do = func(f func()) { q <- f } }
}

// settle runs what the view posted, on the test goroutine, until nothing
// is in flight.
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

func newView(tb testing.TB, a *app.App, opts ...Option) (*View, fyne.Window, uiQueue) {
	tb.Helper()
	q := make(uiQueue, 64)
	w := test.NewWindow(widget.NewLabel(""))
	v := New(a, w, append([]Option{withQueue(q)}, opts...)...)
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(1400, 800))
	settle(tb, v, q)
	tb.Cleanup(w.Close)
	return v, w, q
}

// rejection is a refused signature check as the listener reports it.
func rejection(at time.Time, hint string) listener.Rejection {
	body := fmt.Appendf(nil, `{"type":"snapshot","status":"completed","timestamp":%d}`, at.UnixMilli())
	return listener.Rejection{
		ReceivedAt: at, RemoteAddr: "192.0.2.20:41000", Method: "POST", Path: "/ipfabric",
		UserAgent: "IPF-Webhook/7.2", Size: int64(len(body)), Status: 400,
		Reason: listener.ReasonInvalidSignature, Hint: hint,
		Signature:   strings.Repeat("ab", 32),
		BodySHA256:  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		BodyPreview: body,
		Headers:     map[string]string{"Content-Type": "application/json", "X-Ipf-Signature": strings.Repeat("ab", 32)},
	}
}

func insert(tb testing.TB, a *app.App, r listener.Rejection) int64 {
	tb.Helper()
	id, err := a.Store().InsertRejection(context.Background(), r)
	if err != nil {
		tb.Fatalf("insert rejection: %v", err)
	}
	return id
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

func hasLabel(o fyne.CanvasObject, sub string) bool {
	for _, s := range labels(o) {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func rowIDs(v *View) []int64 {
	ids := make([]int64, len(v.rows))
	for i, r := range v.rows {
		ids[i] = r.ID
	}
	return ids
}

func waitChange(tb testing.TB, ch <-chan app.Change, kind app.ChangeKind) app.Change {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case c := <-ch:
			if c.Kind == kind {
				return c
			}
		case <-deadline:
			tb.Fatalf("no %s change within 10s", kind)
		}
	}
}

// keepEverything turns retention off in dir's settings: the tests date
// their events in the past (fixed, for stable goldens), and the App's
// retention, which prunes at start against the real clock, would otherwise
// race them.
func keepEverything(tb testing.TB, dir string) {
	tb.Helper()
	s := config.DefaultSettings()
	s.RetainEvents, s.RetainRejections = 0, 0
	if err := config.SaveSettings(config.SettingsFile(dir), s); err != nil {
		tb.Fatal(err)
	}
}
