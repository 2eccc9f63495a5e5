package approvals

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const secret = uitest.Secret

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

// newApp opens a real App on a temporary directory with a secret set and
// retention off.
func newApp(tb testing.TB, c appConfig) *app.App {
	tb.Helper()
	return uitest.NewApp(tb, uitest.AppOptions{Start: c.run, Runner: c.run, Now: c.now, Secret: secret, KeepAll: true})
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

// store inserts an event and lets remediation see it, as the App does after
// answering a delivery. It returns the event id and the proposals made.
func storeEvent(tb testing.TB, a *app.App, p send.Payload, at time.Time) (int64, []int64) {
	tb.Helper()
	ctx := context.Background()
	res, err := a.Store().InsertEvent(ctx, uitest.Delivery(tb, p, at))
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

func withQueue(q uitest.Queue) viewkit.Option {
	return func(o *viewkit.Options) {
		o.Do = q.Do
		o.Tick = 0
	}
}

// settle runs posted work until the view has nothing in flight.
func settle(tb testing.TB, v *View, q uitest.Queue) {
	tb.Helper()
	uitest.Settle(tb, q, &v.Pending)
}

// eventually runs posted work until cond holds: for what arrives from
// outside (the runner, the shell's subscription).
func eventually(tb testing.TB, v *View, q uitest.Queue, what string, cond func() bool) {
	tb.Helper()
	uitest.Eventually(tb, q, &v.Pending, what, cond)
}

// newView builds the view in a test window of a fixed size.
func newView(tb testing.TB, a *app.App, opts ...viewkit.Option) (*View, fyne.Window, uitest.Queue) {
	tb.Helper()
	q := make(uitest.Queue, 256)
	var v *View
	w := uitest.Show(tb, func(w fyne.Window) fyne.CanvasObject {
		v = New(a, w, append([]viewkit.Option{withQueue(q)}, opts...)...)
		return v.Content()
	}, fyne.NewSize(1200, 800))
	settle(tb, v, q)
	return v, w, q
}

// pump forwards the App's changes to the view from a goroutine of its own,
// as the shell does.
func pump(tb testing.TB, a *app.App, v *View) {
	sub := a.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// As the shell's subscription predates the view, catch up on what
		// changed between the view's first load and this subscription.
		v.Changed(app.Change{Kind: app.RunChanged})
		for {
			c, ok := sub.Next(ctx)
			if !ok {
				return
			}
			v.Changed(c)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		sub.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			// Blocked posting to a queue nobody drains any more; it
			// ends with the test binary.
		}
	})
}
