package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
)

// TestE2ETray runs the real tray app on a private desktop (Xvfb, a session
// bus with a StatusNotifierWatcher, dunst), reads its tray menu over
// com.canonical.dbusmenu, clicks "Send test webhook" and checks the
// notification and the stored event; then a bad signature, its notification
// and its log row; then Quit.
func TestE2ETray(t *testing.T) {
	sess := desktoptest.Start(t, desktoptest.Options{Xvfb: true, Dunst: true, Watcher: true})
	dir := t.TempDir()
	bin := ipfwatchBinary(t)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", dir)
	cmd.Env = append(os.Environ(), "IPF_WEBHOOK_SECRET="+e2eSecret, "LANG=en_US.UTF-8",
		"DISPLAY="+sess.Display, "DBUS_SESSION_BUS_ADDRESS="+sess.BusAddress)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when the process has ended; waitErr is then set.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()

	item, err := sess.WaitItem(60 * time.Second)
	if err != nil {
		t.Fatalf("no tray item registered: %v\n%s", err, stderr.String())
	}
	// The menu is built from the app state, and a read can catch it half
	// rebuilt (systray adds items one by one): read until it is whole.
	want := []string{"Listening on ", "Open ipfwatch", "Pause listening", "Mute notifications for 1 hour", "Send test webhook", "Quit"}
	var joined string
	deadline := time.Now().Add(30 * time.Second)
	for {
		items, err := sess.Menu(item)
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, it := range items {
			if it.Visible && !it.Separator {
				labels = append(labels, it.Label)
			}
		}
		joined = strings.Join(labels, " | ")
		missing := 0
		for _, w := range want {
			if !strings.Contains(joined, w) {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("tray menu lacks %q: %s", w, joined)
		}
	}

	clickTaken(t, sess, item, "Send test webhook", stderr)
	note, err := sess.WaitNotification(func(n desktoptest.Note) bool {
		return strings.Contains(strings.ToLower(n.Summary+" "+n.Body), "test webhook")
	}, 30*time.Second)
	if err != nil {
		t.Fatalf("no test-webhook notification: %v\n%s", err, stderr.String())
	}
	if note.AppName != "ipfwatch" {
		t.Errorf("notification app name %q", note.AppName)
	}
	out, _, code := runCLI(t, dir, "log", "--json")
	events := jsonLines(t, out)
	if code != 0 || len(events) != 1 || events[0]["test"] != true {
		t.Fatalf("after the tray's test webhook the log holds %v", events)
	}

	// A bad signature: refused, notified, logged.
	addr := listeningRE.FindStringSubmatch(stderr.String())
	if addr == nil {
		t.Fatalf("no listening line:\n%s", stderr.String())
	}
	out, _, _ = runCLI(t, dir, "send", "--url", "http://"+addr[1]+"/ipfabric", "--bad-signature")
	if !strings.HasPrefix(out, "400 ") {
		t.Fatalf("bad signature answered %q", out)
	}
	if _, err := sess.WaitNotification(func(n desktoptest.Note) bool {
		return strings.Contains(strings.ToLower(n.Summary+" "+n.Body), "signature")
	}, 30*time.Second); err != nil {
		t.Fatalf("no signature-failure notification: %v", err)
	}
	out, _, _ = runCLI(t, dir, "log", "--failures", "--json")
	if fails := jsonLines(t, out); len(fails) != 1 || fails[0]["reason"] != "Invalid message signature" {
		t.Fatalf("failure log %v", fails)
	}

	// Started again on the same data directory, ipfwatch brings the
	// running one's window up and leaves with exit 0.
	if sess.WindowViewable("ipfwatch") {
		t.Fatal("the window shows before anything asked for it")
	}
	second := exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", dir)
	second.Env = cmd.Env
	secondOut, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(secondOut), "already running") {
		t.Fatalf("second start: %v, said %q; want exit 0 after raising the first", err, secondOut)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !sess.WindowViewable("ipfwatch") {
		if time.Now().After(deadline) {
			t.Fatalf("the running ipfwatch's window did not come up:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Quit from the tray stops the app cleanly.
	quit := false
	for try := 0; try < 3 && !quit; try++ {
		clickTaken(t, sess, item, "Quit", stderr)
		select {
		case <-exited:
			quit = true
		case <-time.After(10 * time.Second):
		}
	}
	if !quit {
		t.Fatalf("ipfwatch did not quit:\n%s", stderr.String())
	}
	if waitErr != nil {
		t.Errorf("ipfwatch exited with %v:\n%s", waitErr, stderr.String())
	}
	if strings.Contains(stderr.String(), e2eSecret) {
		t.Errorf("secret in the app's log")
	}
}

// clickTaken clicks the tray menu item labelled label. The app rebuilds its
// menu when its state changes, and systray drops a click on an item ID that
// a rebuild has just replaced, logging "no menu item with ID N"; such a
// click is repeated with a freshly read menu, so the action runs once. A
// menu read in the middle of a rebuild can lack the item: it is read again.
func clickTaken(t *testing.T, sess *desktoptest.Session, item, label string, log *syncBuffer) {
	t.Helper()
	for try := 0; try < 10; try++ {
		dropped := strings.Count(log.String(), "no menu item with ID")
		if err := sess.ClickLabel(item, label); err != nil {
			if try == 9 {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			continue
		}
		time.Sleep(500 * time.Millisecond)
		if strings.Count(log.String(), "no menu item with ID") == dropped {
			return
		}
	}
	t.Fatalf("every click on %q hit a menu being rebuilt", label)
}
