package ui

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

// runHelperEnv makes the test binary run the real tray app (ui.Run on the
// GLFW driver) on the data directory it names, instead of the tests.
const runHelperEnv = "IPFWATCH_UI_RUN_HELPER"

// storageHelperEnv makes the test binary print the storage root of the
// real driver's Fyne app for config.AppID and exit.
const storageHelperEnv = "IPFWATCH_UI_STORAGE_HELPER"

// TestMain turns the test binary into ipfwatch's tray app when
// TestRunInTray starts it as a child. The GLFW driver needs the main
// goroutine, which only TestMain has.
func TestMain(m *testing.M) {
	if os.Getenv(storageHelperEnv) != "" {
		// Fyne's real app watches its preferences directory from a
		// goroutine that recreates it when removed: only a process of its
		// own lets the test clean up after it.
		fmt.Print(fyneapp.NewWithID(config.AppID).Storage().RootURI().Path())
		os.Exit(0)
	}
	if dir := os.Getenv(runHelperEnv); dir != "" {
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		a, err := app.Open(app.Options{
			DataDir:   dir,
			Overrides: config.Overrides{Listen: ptr("127.0.0.1:0")},
			Sender:    &uitest.Recorder{},
			Logger:    log,
		})
		if err != nil {
			log.Error("open", "err", err)
			os.Exit(1)
		}
		code := Run(a, log, nil)
		// Nothing of ours may run once Run has returned.
		time.Sleep(100 * time.Millisecond)
		if ours := uitest.OursRunning(); len(ours) > 0 {
			fmt.Fprintf(os.Stderr, "still running after Run returned:\n%s\n", strings.Join(ours, "\n\n"))
			os.Exit(3)
		}
		os.Exit(code)
	}
	uitest.Main(m)
}

// syncBuffer collects a child's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunInTray runs the real tray app on a private X server and session
// bus with a StatusNotifierWatcher, reads its menu over D-Bus the way a
// panel does, clicks through it, and quits it: the menu follows each
// click, and Quit stops the app gracefully with the test event on disk.
func TestRunInTray(t *testing.T) {
	s := desktoptest.Start(t, desktoptest.Options{Xvfb: true, Watcher: true})
	dir := t.TempDir()
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runHelperEnv+"="+dir, config.EnvSecret+"="+testSecret,
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C.UTF-8")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	// A grandchild holding stderr open must not hang Wait.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("tray app stderr:\n%s", stderr.String())
		}
	})

	bus, err := s.WaitItem(60 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// waitMenu polls the menu until cond holds on two reads in a row with
	// the same item IDs: Fyne rebuilds the whole menu on every change (and
	// twice at start), and a click on an ID from before a rebuild is lost.
	waitMenu := func(what string, cond func([]string) bool) []desktoptest.MenuItem {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var last []string
		var prev []desktoptest.MenuItem
		for time.Now().Before(deadline) {
			items, err := s.Menu(bus)
			if err == nil {
				last = nil
				for _, it := range items {
					if it.Visible {
						last = append(last, it.Label)
					}
				}
				if cond(last) && slices.Equal(items, prev) {
					return items
				}
				prev = items
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("waiting for %s: the menu is %q", what, last)
		return nil
	}
	items := waitMenu("the listening menu", func(l []string) bool {
		return len(l) > 0 && strings.HasPrefix(l[0], "Listening on 127.0.0.1:") && strings.HasSuffix(l[0], ", 0 events today")
	})
	var labels []string
	for _, it := range items {
		labels = append(labels, it.Label)
	}
	want := []string{items[0].Label, "", "Open ipfwatch", "Approvals (0 pending)", "",
		"Pause listening", "Mute notifications for 1 hour", "Send test webhook", "", "Quit"}
	if !slices.Equal(labels, want) {
		t.Errorf("tray menu %q\nwant %q", labels, want)
	}
	if items[0].Enabled {
		t.Error("the status line is clickable")
	}
	click := func(label string) {
		t.Helper()
		if err := s.ClickLabel(bus, label); err != nil {
			t.Fatal(err)
		}
	}

	click("Pause listening")
	waitMenu("the paused menu", func(l []string) bool { return l[0] == "Paused" && slices.Contains(l, "Resume listening") })
	click("Resume listening")
	waitMenu("listening again", func(l []string) bool { return slices.Contains(l, "Pause listening") })
	click("Send test webhook")
	waitMenu("the test event counted", func(l []string) bool { return strings.HasSuffix(l[0], ", 1 event today") })
	click("Quit")
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("the tray app ended with %v after Quit, want exit status 0", exitErr)
		}
	case <-time.After(60 * time.Second):
		// Where it is stuck, for the log.
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
		t.Fatal("the tray app did not exit after Quit")
	}

	st, err := store.Open(filepath.Join(dir, "ipfwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.ListEvents(context.Background(), store.EventFilter{Limit: 10})
	if err != nil || len(evs) != 1 || !evs[0].Test {
		t.Errorf("events on disk after Quit: %+v, %v; want the one test event", evs, err)
	}
	if strings.Contains(stderr.String(), testSecret) {
		t.Error("the secret appears in the app's log")
	}
}
