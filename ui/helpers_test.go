package ui

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
)

// recordingSender is a notification sender that keeps what it was asked
// to show; the desktop tests check the real daemon.
type recordingSender struct {
	mu    sync.Mutex
	notes []string
}

func (r *recordingSender) Send(title, body string, urgent bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, title+": "+body)
	return nil
}

const testSecret = "s3cret"

func ptr[T any](v T) *T { return &v }

// newTestApp opens and starts a real App on a temporary directory,
// listening on a free loopback port, with a secret set.
func newTestApp(t *testing.T) *app.App {
	t.Helper()
	a, err := app.Open(app.Options{
		DataDir:   t.TempDir(),
		Sender:    &recordingSender{},
		NoRunner:  true,
		Overrides: config.Overrides{Listen: ptr("127.0.0.1:0")},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetSecret(config.Current, testSecret); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if a.Addr() == "" {
		t.Fatal("the test app is not listening")
	}
	return a
}

// uiQueue stands in for the driver's main-thread queue: background
// goroutines post to it, and the test goroutine runs what was posted, so
// every widget is touched from one goroutine as in the real app.
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *uiQueue) do(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

// drain runs what is queued, on the caller's goroutine.
func (q *uiQueue) drain() {
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// waitFor drains the queue until cond holds, failing the test after a
// generous deadline (the machines are small and shared; this is not a
// performance check).
func (q *uiQueue) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		q.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recordingHost is a tray host that keeps the last menu and icon set.
type recordingHost struct {
	menu     *fyne.Menu
	icon     fyne.Resource
	menuSets int
	iconSets int
}

func (h *recordingHost) SetSystemTrayMenu(m *fyne.Menu)    { h.menu, h.menuSets = m, h.menuSets+1 }
func (h *recordingHost) SetSystemTrayIcon(r fyne.Resource) { h.icon, h.iconSets = r, h.iconSets+1 }

func (h *recordingHost) labels() []string {
	var l []string
	if h.menu == nil {
		return nil
	}
	for _, it := range h.menu.Items {
		if it.IsSeparator {
			l = append(l, "---")
			continue
		}
		l = append(l, it.Label)
	}
	return l
}

// item finds a menu item by label, nil if absent.
func (h *recordingHost) item(label string) *fyne.MenuItem {
	if h.menu == nil {
		return nil
	}
	for _, it := range h.menu.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

// placeholderSpecs are the shell's tabs with placeholder content. The
// shell's tests use them whatever views are wired: a real view updates its
// widgets through fyne.Do, which Fyne's test driver runs at once on the
// calling goroutine, racing the test's own goroutine (the real driver runs
// it on the UI goroutine). The views test themselves; TestRunInTray runs
// them all on the real driver.
func placeholderSpecs() []tabSpec {
	specs := tabSpecs(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	for i := range specs {
		specs[i].new = placeholder(specs[i].title, "The "+string(specs[i].id)+" view.")
	}
	return specs
}
