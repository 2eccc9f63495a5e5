//go:build measure

package main

// Measurements for the closing notes, run with `make measure`: time from
// start to listening, idle CPU over 60 s and memory of the real tray app on
// a private desktop (Xvfb, session bus with a tray watcher, dunst) with
// 100,000 events in its database, next to a bare Fyne tray app measured the
// same way. They print numbers; they judge nothing.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
)

// procSample returns a process's CPU ticks (user+system) and RSS in KiB.
func procSample(t *testing.T, pid int) (ticks, rssKiB int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var u, s int64
	fmt.Sscan(f[11], &u) // utime, field 14 of stat
	fmt.Sscan(f[12], &s) // stime, field 15
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			fmt.Sscan(strings.Fields(l)[1], &rssKiB)
		}
	}
	return u + s, rssKiB
}

// idle measures pid over d: CPU percent of one core and the RSS at the end.
func idle(t *testing.T, pid int, d time.Duration) (cpu float64, rssMB int64) {
	t0, _ := procSample(t, pid)
	time.Sleep(d)
	t1, rss := procSample(t, pid)
	return float64(t1-t0) / 100 / d.Seconds() * 100, rss / 1024 // USER_HZ is 100 on Linux
}

func fill(t *testing.T, db string, n int) {
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				at := now.Add(-time.Duration(n-i) * 20 * time.Second)
				body := send.Body(send.Payload{SnapshotID: fmt.Sprintf("snap-%06d", i/3), SnapshotName: fmt.Sprintf("site %d", i%50),
					Status: []string{"started", "completed", "failed"}[i%3], Time: at})
				e, _ := webhook.Parse(body)
				if _, err := st.InsertEvent(context.Background(), webhook.Event{Payload: e, Body: body, Key: webhook.Key(e), ReceivedAt: at}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}

func startOn(t *testing.T, sess *desktoptest.Session, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "IPF_WEBHOOK_SECRET=measure", "LANG=en_US.UTF-8",
		"DISPLAY="+sess.Display, "DBUS_SESSION_BUS_ADDRESS="+sess.BusAddress)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestMeasure(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now()
	fill(t, filepath.Join(dir, "ipfwatch.db"), 100000)
	t.Logf("filled 100,000 events in %v", time.Since(t0).Round(time.Millisecond))

	bare := filepath.Join(t.TempDir(), "bare")
	if out, err := exec.Command("go", "build", "-o", bare, "./scripts/measure/bare").CombinedOutput(); err != nil {
		t.Fatalf("build bare: %v\n%s", err, out)
	}
	const window = 60 * time.Second

	// The bare Fyne tray app first, on its own desktop.
	{
		sess := desktoptest.Start(t, desktoptest.Options{Xvfb: true, Dunst: true, Watcher: true})
		cmd := startOn(t, sess, bare)
		if _, err := sess.WaitItem(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		cpu, rss := idle(t, cmd.Process.Pid, window)
		t.Logf("bare Fyne tray app, window hidden: idle CPU %.2f%% over %v, RSS %d MB", cpu, window, rss)
		cmd.Process.Kill()
	}

	sess := desktoptest.Start(t, desktoptest.Options{Xvfb: true, Dunst: true, Watcher: true})
	bin := ipfwatchBinary(t)
	start := time.Now()
	cmd := startOn(t, sess, bin, "--listen", "127.0.0.1:18077", "--data-dir", dir)
	for {
		if r, err := http.Get("http://127.0.0.1:18077/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatal("not listening after 60 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("ipfwatch with 100,000 events: start to listening %v", time.Since(start).Round(time.Millisecond))
	item, err := sess.WaitItem(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	cpu, rss := idle(t, cmd.Process.Pid, window)
	t.Logf("ipfwatch, window hidden (tray only): idle CPU %.2f%% over %v, RSS %d MB", cpu, window, rss)

	if err := sess.ClickLabel(item, "Open ipfwatch"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	cpu, rss = idle(t, cmd.Process.Pid, window)
	t.Logf("ipfwatch, window open on Events: idle CPU %.2f%% over %v, RSS %d MB", cpu, window, rss)
}
