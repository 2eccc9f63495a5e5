package approvals

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/remediation"
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

// clock is an adjustable time source shared by the App and the view.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// appConfig says how newApp opens the App.
type appConfig struct {
	run bool             // start it: listener on loopback and the remediation runner
	now func() time.Time // the App's clock; nil for the real one
}

// newApp opens a real App on a temporary directory with a secret set.
func newApp(tb testing.TB, c appConfig) *app.App {
	tb.Helper()
	addr := "127.0.0.1:0"
	dir := tb.TempDir()
	keepEverything(tb, dir)
	a, err := app.Open(app.Options{
		DataDir:   dir,
		Sender:    &recorder{},
		NoRunner:  !c.run,
		Now:       c.now,
		Overrides: config.Overrides{Listen: &addr},
	})
	if err != nil {
		tb.Fatalf("open app: %v", err)
	}
	if _, err := a.SetSecret(config.Current, secret); err != nil {
		tb.Fatalf("set secret: %v", err)
	}
	if c.run {
		if err := a.Start(context.Background()); err != nil {
			tb.Fatalf("start: %v", err)
		}
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	return a
}

// setRules puts rules in force (and in remediations.yaml).
func setRules(tb testing.TB, a *app.App, rules ...remediation.Rule) {
	tb.Helper()
	for i := range rules {
		if rules[i].Timeout == 0 {
			rules[i].Timeout = remediation.DefaultTimeout
		}
		if rules[i].Expires == 0 {
			rules[i].Expires = remediation.DefaultExpires
		}
	}
	if err := a.Remediation().SetRules(rules); err != nil {
		tb.Fatalf("set rules: %v", err)
	}
}

// script writes an executable /bin/sh script and returns its path.
func script(tb testing.TB, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "remedy.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		tb.Fatal(err)
	}
	return path
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

// store inserts an event and lets remediation see it, as the App does after
// answering a delivery. It returns the event id and the proposals made.
func storeEvent(tb testing.TB, a *app.App, p send.Payload, at time.Time) (int64, []int64) {
	tb.Helper()
	ctx := context.Background()
	res, err := a.Store().InsertEvent(ctx, delivery(tb, p, at))
	if err != nil {
		tb.Fatalf("insert: %v", err)
	}
	ev, err := a.Store().GetEvent(ctx, res.ID)
	if err != nil {
		tb.Fatalf("get event: %v", err)
	}
	ids, err := a.Remediation().OnEvent(ctx, ev)
	if err != nil {
		tb.Fatalf("on event: %v", err)
	}
	return res.ID, ids
}

// uiQueue stands in for the UI goroutine: the view's background work posts
// to it, and settle runs what was posted on the test's goroutine, so the
// test and the view never touch widgets concurrently.
type uiQueue chan func()

func withQueue(q uiQueue) Option {
	return func(o *options) {
		o.do = func(f func()) { q <- f }
		o.tick = 0
	}
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

// eventually runs posted work until cond holds: for what arrives from
// outside (the runner, the shell's subscription).
func eventually(tb testing.TB, v *View, q uiQueue, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		settle(tb, v, q)
		if cond() {
			return
		}
		select {
		case f := <-q:
			f()
		case <-tick.C:
		case <-deadline:
			tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

// newView builds the view in a test window of a fixed size.
func newView(tb testing.TB, a *app.App, opts ...Option) (*View, fyne.Window, uiQueue) {
	tb.Helper()
	q := make(uiQueue, 256)
	w := test.NewWindow(widget.NewLabel(""))
	v := New(a, w, append([]Option{withQueue(q)}, opts...)...)
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(1200, 800))
	settle(tb, v, q)
	tb.Cleanup(w.Close)
	return v, w, q
}

// pump forwards the App's changes to the view from a goroutine of its own,
// as the shell does.
func pump(tb testing.TB, a *app.App, v *View) {
	ch, cancel := a.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range ch {
			v.Changed(c)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			// Blocked posting to a queue nobody drains any more; it
			// ends with the test binary.
		}
	})
}

// labels returns the text of every visible label, button and entry under o.
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

// button finds a visible button by its text under o (a window's content or
// an overlay such as a dialog).
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
