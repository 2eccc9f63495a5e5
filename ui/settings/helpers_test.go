package settings

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

type discardSender struct{}

func (discardSender) Send(title, body string, urgent bool) error { return nil }

// openApp opens and starts a real App on a temporary directory. Its saved
// settings listen on a free loopback port, so the view can change the
// address; o may add overrides. secret, if not empty, is stored first.
func openApp(t *testing.T, o app.Options, secret string) *app.App {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	s := config.DefaultSettings()
	s.Listen = "127.0.0.1:0"
	if err := config.SaveSettings(config.SettingsFile(o.DataDir), s); err != nil {
		t.Fatal(err)
	}
	o.Sender = discardSender{}
	o.NoRunner = true
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		if _, err := a.SetSecret(config.Current, secret); err != nil {
			t.Fatal(err)
		}
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
	return a
}

// newView builds the view in a 1000x650 test window, with its UI work
// queued for the test goroutine.
func newView(t *testing.T, a *app.App) (*View, *uitest.Mailbox, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	v := New(a, w)
	q := &uitest.Mailbox{}
	v.do = q.Do
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(1000, 650))
	return v, q, w
}

// saveAndWait taps Save and waits until the view reports the outcome.
func saveAndWait(t *testing.T, v *View, q *uitest.Mailbox) {
	t.Helper()
	test.Tap(v.save)
	q.WaitFor(t, "Save to finish", func() bool { return !v.save.Disabled() })
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
	return port
}

// readFile returns a file's bytes, or "<absent>".
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "<absent>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testdata is the package's testdata directory, found before any test
// changes directory.
var testdata = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata")
}()

// assertMarkup compares a canvas's markup with testdata/<name>, after
// replacing what changes from run to run (the bound port, say) with fixed
// words. A mismatch, or a missing master, is
// written to testdata/failed/<name> for review.
func assertMarkup(t *testing.T, name string, c fyne.Canvas, replace ...string) {
	t.Helper()
	got := strings.NewReplacer(replace...).Replace(test.RenderToMarkup(c))
	want, err := os.ReadFile(filepath.Join(testdata, name))
	if err == nil && string(want) == got {
		return
	}
	failed := filepath.Join(testdata, "failed", name)
	if werr := os.MkdirAll(filepath.Dir(failed), 0o755); werr != nil {
		t.Fatal(werr)
	}
	if werr := os.WriteFile(failed, []byte(got), 0o644); werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatalf("no master testdata/%s (%v); the markup is in %s", name, err, failed)
	}
	t.Fatalf("markup differs from testdata/%s; the new markup is in %s", name, failed)
}
