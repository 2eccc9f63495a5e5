package ui

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

// TestShellMarkup renders the main window at its initial size with a fixed
// status (the counts and the port of a live app would change every run).
func TestShellMarkup(t *testing.T) {
	a := newTestApp(t)
	fa := test.NewTempApp(t)
	s := newShell(a, fa, slog.New(slog.NewTextHandler(io.Discard, nil)), placeholderSpecs())
	s.do = (&uitest.Mailbox{}).Do
	w := s.win
	defer w.Close()
	s.show(app.Status{State: app.StateListening, Listen: ":8000", Addr: "[::]:8000", Path: "/ipfabric",
		EventsToday: 3, RejectionsToday: 1, Pending: 2}, false)
	s.bar.say("Test webhook accepted (HTTP 200)")
	test.AssertRendersToMarkup(t, "shell.xml", w.Canvas())
	if got := s.items[2].Text; got != "Approvals (2)" {
		t.Errorf("approvals tab title = %q", got)
	}
}

// TestTabs checks the main window's tabs and their order.
func TestTabs(t *testing.T) {
	var got []string
	for _, sp := range tabSpecs(slog.New(slog.NewTextHandler(io.Discard, nil)), nil) {
		got = append(got, string(sp.id)+"="+sp.title)
		if sp.new == nil || sp.icon == nil {
			t.Errorf("tab %s has no constructor or icon", sp.id)
		}
	}
	want := []string{"events=Events", "failures=Signature failures", "approvals=Approvals", "rules=Rules", "settings=Settings"}
	if !slices.Equal(got, want) {
		t.Errorf("tabs %q, want %q", got, want)
	}
}

// TestDefaultDataDirIsFyneStorage checks that the CLI's data directory is
// the storage the Fyne app gets for the same ID, so the tray app and the
// CLI share one database. It asks the real driver's app, in a child
// process (see TestMain; building the app needs no display). Fyne's test
// app would prove nothing: its storage is always os.TempDir(). Built with
// Fyne's "ci" tag the real app's root moves to os.TempDir()/fyne-test and
// this test rightly fails: such a build would not share the CLI's data.
func TestDefaultDataDirIsFyneStorage(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), storageHelperEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("storage helper: %v", err)
	}
	got := string(out)
	if want := config.DefaultDataDir(); got != want {
		t.Errorf("Fyne storage root = %q, config.DefaultDataDir() = %q", got, want)
	}
	if !strings.HasPrefix(got, home) {
		t.Errorf("storage root %s is not under the test's HOME %s", got, home)
	}
}

// TestSessionHasWatcher runs a private session bus with and without a
// StatusNotifierWatcher: only with one does ipfwatch hide in the tray.
func TestSessionHasWatcher(t *testing.T) {
	tests := []struct {
		name    string
		watcher bool
		want    bool
		why     string
	}{
		{"panel with a watcher", true, true, ""},
		{"bus without a watcher", false, false, "runs no org.kde.StatusNotifierWatcher"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desktoptest.Start(t, desktoptest.Options{Watcher: tt.watcher})
			got, why := sessionHasWatcher()
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("sessionHasWatcher() = %t, %q; want %t, %q", got, why, tt.want, tt.why)
			}
		})
	}
	t.Run("no bus at all", func(t *testing.T) {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		got, why := sessionHasWatcher()
		if got || !strings.Contains(why, "no D-Bus session bus") {
			t.Errorf("sessionHasWatcher() = %t, %q; want false, no bus", got, why)
		}
	})
}
