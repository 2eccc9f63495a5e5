package events

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
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

const secret = "s3cret"

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

// newApp opens a real App on a temporary directory with a secret set. With
// listen it also binds a loopback port for signed HTTP deliveries.
func newApp(tb testing.TB, listen bool) *app.App {
	tb.Helper()
	addr := "127.0.0.1:0"
	dir := tb.TempDir()
	keepEverything(tb, dir)
	a, err := app.Open(app.Options{
		DataDir:   dir,
		Sender:    &recorder{},
		NoRunner:  true,
		Overrides: config.Overrides{Listen: &addr},
	})
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

// uiQueue stands in for the UI goroutine: the view's background work posts
// to it, and settle runs what was posted on the test's goroutine, so the
// test and the view never touch widgets concurrently.
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
	w.Resize(fyne.NewSize(1400, 800))
	settle(tb, v, q)
	tb.Cleanup(w.Close)
	return v, w, q
}

// delivery builds what the listener would hand over for p.
func delivery(tb testing.TB, p send.Payload, at time.Time) listener.Delivery {
	tb.Helper()
	body := send.Body(p)
	ev, err := listener.Parse(body)
	if err != nil {
		tb.Fatalf("parse %s: %v", body, err)
	}
	return listener.Delivery{
		Event: ev, Body: body, Key: listener.Key(ev),
		RemoteAddr: "192.0.2.10:50123", UserAgent: "IPF-Webhook/7.2",
		ReceivedAt: at, SecretMatched: listener.SecretCurrent,
	}
}

func insert(tb testing.TB, a *app.App, d listener.Delivery) int64 {
	tb.Helper()
	res, err := a.Store().InsertEvent(context.Background(), d)
	if err != nil {
		tb.Fatalf("insert: %v", err)
	}
	return res.ID
}

// bulkInsert stores n distinct events through InsertEvent, many at once so
// group commit keeps it quick.
func bulkInsert(tb testing.TB, a *app.App, n int) {
	tb.Helper()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				at := base.Add(time.Duration(i) * time.Second)
				ev := listener.Event{Type: "snapshot", Action: "discover", Status: statuses[i%len(statuses)],
					Requester: "user:1", TimestampMillis: at.UnixMilli(),
					SnapshotID: fmt.Sprintf("snap-%06d", i), SnapshotName: fmt.Sprintf("site-%d", i%50)}
				body := fmt.Appendf(nil, `{"type":"snapshot","action":"discover","status":%q,"requester":"user:1","timestamp":%d,"snapshot":{"id":%q,"name":%q}}`,
					ev.Status, ev.TimestampMillis, ev.SnapshotID, ev.SnapshotName)
				_, err := a.Store().InsertEvent(context.Background(), listener.Delivery{Event: ev, Body: body,
					Key: fmt.Sprintf("bulk-%d", i), RemoteAddr: "192.0.2.10:50123", ReceivedAt: at,
					SecretMatched: listener.SecretCurrent})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatalf("bulk insert: %v", err)
	default:
	}
}

// labels returns the text of every visible label under o, as rendered now.
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
		case *widget.Hyperlink:
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

// rowIDs lists the loaded rows' ids, newest first.
func rowIDs(v *View) []int64 {
	ids := make([]int64, len(v.rows))
	for i, r := range v.rows {
		ids[i] = r.ID
	}
	return ids
}

// waitChange reads changes until one of kind arrives.
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
