package desktoptest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// TestStartDunstReceivesNotifySend checks the whole chain a notification
// takes: a real client (notify-send) on the private bus, dunst on Xvfb, and
// dunst's history read back with urgency, app name, summary and body.
func TestStartDunstReceivesNotifySend(t *testing.T) {
	s := Start(t, Options{Dunst: true})

	if got := os.Getenv("DISPLAY"); got != s.Display || !strings.HasPrefix(got, ":") {
		t.Errorf("DISPLAY = %q, session display %q", got, s.Display)
	}
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != s.BusAddress || !strings.HasPrefix(got, "unix:") {
		t.Errorf("DBUS_SESSION_BUS_ADDRESS = %q, session bus %q", got, s.BusAddress)
	}
	if before, err := s.Notifications(); err != nil || len(before) != 0 {
		t.Fatalf("fresh dunst has notifications %v (err %v)", before, err)
	}

	tests := []struct {
		urgency, summary, body string
	}{
		{"low", "Low one", "quiet body"},
		{"normal", "Normal one", "body with <b>markup</b> & ampersand"},
		{"critical", "Snapshot discover failed", "Reason: timeout\nsecond line"},
	}
	for _, tc := range tests {
		t.Run(tc.urgency, func(t *testing.T) {
			out, err := exec.Command("notify-send", "-a", "desktoptest-app", "-u", tc.urgency, tc.summary, tc.body).CombinedOutput()
			if err != nil {
				t.Fatalf("notify-send: %v: %s", err, out)
			}
			n, err := s.WaitNotification(func(n Note) bool { return n.Summary == tc.summary }, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			want := Note{ID: n.ID, AppName: "desktoptest-app", Summary: tc.summary, Body: tc.body, Urgency: tc.urgency}
			if n != want {
				t.Errorf("dunst received %v, want %v", n, want)
			}
		})
	}

	all, err := s.Notifications()
	if err != nil {
		t.Fatal(err)
	}
	var summaries []string
	for _, n := range all {
		summaries = append(summaries, n.Summary)
	}
	if want := []string{"Low one", "Normal one", "Snapshot discover failed"}; !slices.Equal(summaries, want) {
		t.Errorf("history in order = %q, want %q", summaries, want)
	}
}

// TestWaitNotificationTimesOut checks that a notification that never comes
// is reported with what did come.
func TestWaitNotificationTimesOut(t *testing.T) {
	s := Start(t, Options{Dunst: true})
	if out, err := exec.Command("notify-send", "present", "here").CombinedOutput(); err != nil {
		t.Fatalf("notify-send: %v: %s", err, out)
	}
	_, err := s.WaitNotification(func(n Note) bool { return n.Summary == "absent" }, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "present") {
		t.Errorf("WaitNotification error = %v, want a timeout listing the received note", err)
	}
}

// TestWatcherAnswersGdbus checks the watcher from outside, with gdbus, the
// way a panel or a tray library sees it.
func TestWatcherAnswersGdbus(t *testing.T) {
	Start(t, Options{Watcher: true})
	tests := []struct {
		property, want string
	}{
		{"IsStatusNotifierHostRegistered", "(<true>,)"},
		{"ProtocolVersion", "(<0>,)"},
		{"RegisteredStatusNotifierItems", "(<@as []>,)"},
	}
	for _, tc := range tests {
		t.Run(tc.property, func(t *testing.T) {
			out, err := exec.Command("gdbus", "call", "--session",
				"--dest", WatcherName, "--object-path", "/StatusNotifierWatcher",
				"--method", "org.freedesktop.DBus.Properties.Get", watcherInterface, tc.property).CombinedOutput()
			if err != nil {
				t.Fatalf("gdbus call: %v: %s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.property, got, tc.want)
			}
		})
	}

	out, err := exec.Command("gdbus", "introspect", "--session", "--dest", WatcherName, "--object-path", "/StatusNotifierWatcher").CombinedOutput()
	if err != nil {
		t.Fatalf("gdbus introspect: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "RegisterStatusNotifierItem(") {
		t.Errorf("introspection lacks RegisterStatusNotifierItem:\n%s", out)
	}
}

// TestWatcherRegistersAndDropsItems registers an item the way
// fyne.io/systray does (an object path, the caller's connection as the bus
// name) and checks it disappears when its connection leaves the bus.
func TestWatcherRegistersAndDropsItems(t *testing.T) {
	s := Start(t, Options{Watcher: true})
	if _, err := s.WaitItem(50 * time.Millisecond); err == nil {
		t.Fatal("WaitItem succeeded with no item registered")
	}

	app, err := dbus.Connect(s.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	watcherObj := app.Object(WatcherName, "/StatusNotifierWatcher")
	if err := watcherObj.Call(watcherInterface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
		t.Fatal(err)
	}
	// Registering twice, as systray does when the watcher restarts, keeps
	// one item.
	if err := watcherObj.Call(watcherInterface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
		t.Fatal(err)
	}
	// A service given as a bus name is recorded at the standard path.
	if err := watcherObj.Call(watcherInterface+".RegisterStatusNotifierItem", 0, "org.example.Tray").Err; err != nil {
		t.Fatal(err)
	}

	bus, err := s.WaitItem(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	unique := app.Names()[0]
	if bus != unique {
		t.Errorf("WaitItem = %q, want the caller's unique name %q", bus, unique)
	}
	want := []string{unique + "/StatusNotifierItem", "org.example.Tray/StatusNotifierItem"}
	if got := s.Items(); !slices.Equal(got, want) {
		t.Errorf("Items = %q, want %q", got, want)
	}
	var prop []string
	if err := watcherObj.StoreProperty(watcherInterface+".RegisteredStatusNotifierItems", &prop); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prop, want) {
		t.Errorf("RegisteredStatusNotifierItems = %q, want %q", prop, want)
	}

	app.Close()
	deadline := time.Now().Add(5 * time.Second)
	for slices.Contains(s.Items(), want[0]) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := s.Items(); !slices.Equal(got, want[1:]) {
		t.Errorf("after the app left the bus, Items = %q, want %q", got, want[1:])
	}
}

// TestSystrayMenuReadAndClick runs the real tray library Fyne uses,
// fyne.io/systray, in a child process (this test binary, see TestMain)
// against the watcher, reads its menu through dbusmenu the way a panel does
// and clicks items. A child process because systray is a process-wide
// singleton that cannot start twice, and because that is what the real app
// is to the desktop.
func TestSystrayMenuReadAndClick(t *testing.T) {
	s := Start(t, Options{Watcher: true})

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), trayHelperEnv+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("tray helper exited")
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatal("tray helper said nothing for 10s")
		}
		return ""
	}
	if l := next(); l != "ready" {
		t.Fatalf("tray helper said %q, want ready", l)
	}

	bus, err := s.WaitItem(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", cmd.Process.Pid); !slices.Contains(s.Items(), bus+"/StatusNotifierItem") {
		t.Errorf("Items = %q, want %s/StatusNotifierItem", s.Items(), bus)
	} else if owner := nameOwner(t, s, want); owner != bus {
		t.Errorf("the item registered from %q, but %s is owned by %q", bus, want, owner)
	}

	items, err := s.Menu(bus)
	if err != nil {
		t.Fatal(err)
	}
	type shown struct {
		Label                       string
		Enabled, Visible, Separator bool
	}
	var got []shown
	for _, it := range items {
		got = append(got, shown{it.Label, it.Enabled, it.Visible, it.Separator})
		if it.Parent != 0 {
			t.Errorf("item %v has parent %d, want top level", it, it.Parent)
		}
	}
	want := []shown{
		{"Listening on :8000", false, true, false},
		{"", true, true, true},
		{"Send test webhook", true, true, false},
		{"Approvals (0 pending)", true, false, false},
		{"Quit", true, true, false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("menu = %+v\nwant   %+v", got, want)
	}

	if err := s.ClickLabel(bus, "Listening on :8000"); err == nil {
		t.Error("clicking the disabled status line succeeded")
	}
	if err := s.ClickLabel(bus, "Approvals (0 pending)"); err == nil {
		t.Error("clicking a hidden item succeeded")
	}
	for _, label := range []string{"Send test webhook", "Quit"} {
		if err := s.ClickLabel(bus, label); err != nil {
			t.Fatal(err)
		}
		if l := next(); l != "clicked "+label {
			t.Fatalf("after clicking %q the tray helper said %q", label, l)
		}
	}
	if err := s.Click(bus, 9999); err != nil {
		t.Errorf("clicking an unknown id: %v (systray ignores it, the call must still succeed)", err)
	}
}

func nameOwner(t *testing.T, s *Session, name string) string {
	t.Helper()
	var owner string
	if err := s.Conn().BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, name).Store(&owner); err != nil {
		t.Fatalf("GetNameOwner %s: %v", name, err)
	}
	return owner
}

const trayHelperEnv = "DESKTOPTEST_TRAY_HELPER"

// TestMain turns the test binary into a small tray app when
// TestSystrayMenuReadAndClick starts it as a child.
func TestMain(m *testing.M) {
	if os.Getenv(trayHelperEnv) == "1" {
		trayHelper()
		return
	}
	os.Exit(m.Run())
}

// trayHelper shows a tray menu shaped like ipfwatch's and prints
// "clicked <label>" for every click; it runs until killed.
func trayHelper() {
	systray.Run(func() {
		systray.SetTitle("desktoptest")
		status := systray.AddMenuItem("Listening on :8000", "")
		status.Disable()
		systray.AddSeparator()
		send := systray.AddMenuItem("Send test webhook", "")
		hidden := systray.AddMenuItem("Approvals (0 pending)", "")
		hidden.Hide()
		quit := systray.AddMenuItem("Quit", "")
		fmt.Println("ready")
		for {
			select {
			case <-send.ClickedCh:
				fmt.Println("clicked Send test webhook")
			case <-hidden.ClickedCh:
				fmt.Println("clicked Approvals (0 pending)")
			case <-quit.ClickedCh:
				fmt.Println("clicked Quit")
			}
		}
	}, nil)
}

// An item leaving the bus as the session ends, after the watcher's
// connection closed, must not panic the test binary (it did: prop's SetMust
// panics when it cannot emit).
func TestWatcherClosedPublishesQuietly(t *testing.T) {
	s := Start(t, Options{})
	w, err := serveWatcher(s.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	w.close()
	w.mu.Lock()
	w.items = []string{"gone/StatusNotifierItem"}
	w.publishLocked() // panics if the closed connection is not handled
	w.mu.Unlock()
	if w.conn.Connected() {
		t.Error("connection still open after close")
	}
}
