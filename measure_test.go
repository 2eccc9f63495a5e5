//go:build measure

package main

// Measurements for the closing notes, run with `make measure`: time from
// start to listening, idle CPU, context switches and memory of the real
// tray app on a private desktop (Xvfb, session bus with a tray watcher,
// dunst) with 100,000 events in its database, next to a bare Fyne tray app
// measured the same way (with and without the idle parker, window hidden
// and open, and how long a tray click takes to act), and next to the
// headless `ipfwatch serve` on the same database. They print numbers; they
// judge nothing.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
)

// sample is what /proc says of a process at one moment.
type sample struct {
	ticks  int64 // CPU (user+system) of all its threads, in USER_HZ
	rssKiB int64
	// anonKiB is the part of the RSS that is the process's own memory (Go
	// heap, C heap, GL buffers); the rest is files mapped in (libLLVM for
	// llvmpipe, fonts), which the kernel can drop and other processes share.
	anonKiB int64
	ctxsw   int64 // voluntary+involuntary context switches of its live threads
}

func procSample(t *testing.T, pid int) sample {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var s sample
	var u, sy int64
	fmt.Sscan(f[11], &u)  // utime, field 14 of stat
	fmt.Sscan(f[12], &sy) // stime, field 15
	s.ticks = u + sy
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			fmt.Sscan(strings.Fields(l)[1], &s.rssKiB)
		}
		if strings.HasPrefix(l, "RssAnon:") {
			fmt.Sscan(strings.Fields(l)[1], &s.anonKiB)
		}
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, task := range tasks {
		st, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended meanwhile
		}
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "voluntary_ctxt_switches:") || strings.HasPrefix(l, "nonvoluntary_ctxt_switches:") {
				n, _ := strconv.ParseInt(strings.TrimSpace(l[strings.IndexByte(l, ':')+1:]), 10, 64)
				s.ctxsw += n
			}
		}
	}
	return s
}

// idleResult is one process watched over a quiet spell.
type idleResult struct {
	cpu      float64 // percent of one core
	ctxPerS  float64 // context switches a second, all threads
	rssMB    int64   // at the end
	anonMB   int64   // of which anonymous
	duration time.Duration
}

func (r idleResult) String() string {
	return fmt.Sprintf("CPU %.2f%%, %.0f context switches/s, RSS %d MB (%d MB anonymous) (over %v)", r.cpu, r.ctxPerS, r.rssMB, r.anonMB, r.duration)
}

func idle(t *testing.T, pid int, d time.Duration) idleResult {
	a := procSample(t, pid)
	time.Sleep(d)
	b := procSample(t, pid)
	return idleResult{
		cpu:      float64(b.ticks-a.ticks) / 100 / d.Seconds() * 100, // USER_HZ is 100 on Linux
		ctxPerS:  float64(b.ctxsw-a.ctxsw) / d.Seconds(),
		rssMB:    b.rssKiB / 1024,
		anonMB:   b.anonKiB / 1024,
		duration: d,
	}
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

// startOn starts bin on the session's display and bus and returns it with
// the lines it prints.
func startOn(t *testing.T, sess *desktoptest.Session, bin string, args ...string) (*exec.Cmd, <-chan string) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "IPF_WEBHOOK_SECRET=measure", "LANG=en_US.UTF-8")
	// IPFWATCH_MEASURE_ENV adds variables to ipfwatch's environment
	// (GOGC=50, say), to try a setting without a rebuild.
	if v := os.Getenv("IPFWATCH_MEASURE_ENV"); v != "" && strings.HasSuffix(bin, "ipfwatch") {
		cmd.Env = append(cmd.Env, strings.Fields(v)...)
	}
	if sess != nil {
		cmd.Env = append(cmd.Env, "DISPLAY="+sess.Display, "DBUS_SESSION_BUS_ADDRESS="+sess.BusAddress)
	} else {
		cmd.Env = append(cmd.Env, "DISPLAY=", "WAYLAND_DISPLAY=")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody is reading: drop
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, lines
}

// clickLatency clicks the tray item labelled label n times, a little over
// a second apart (so clicks land at every phase of a park), and returns the
// median and worst time from the D-Bus click to the line the action
// prints ("<prefix> <unix ns>").
func clickLatency(t *testing.T, sess *desktoptest.Session, item string, lines <-chan string, label, prefix string, n int) (median, worst time.Duration) {
	t.Helper()
	menu, err := sess.Menu(item)
	if err != nil {
		t.Fatal(err)
	}
	id := int32(-1)
	for _, it := range menu {
		if it.Label == label {
			id = it.ID
		}
	}
	if id < 0 {
		t.Fatalf("no tray item %q in %+v", label, menu)
	}
	var ds []time.Duration
	for i := 0; i < n; i++ {
		time.Sleep(time.Second + time.Duration(i)*37*time.Millisecond)
		for len(lines) > 0 {
			<-lines
		}
		t0 := time.Now()
		if err := sess.Click(item, id); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case l := <-lines:
				var p string
				var ns int64
				if _, err := fmt.Sscan(l, &p, &ns); err == nil && p == prefix {
					ds = append(ds, time.Unix(0, ns).Sub(t0))
					break wait
				}
			case <-deadline:
				t.Fatalf("tray click on %q: no %q line after 10 s", label, prefix)
			}
		}
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)-1]
}

// window is how long each quiet spell is watched; IPFWATCH_MEASURE_WINDOW
// (a Go duration) shortens it for a quick look.
func window(t *testing.T) time.Duration {
	if v := os.Getenv("IPFWATCH_MEASURE_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	return 60 * time.Second
}

func TestMeasure(t *testing.T) {
	win := window(t)
	var summary []string
	report := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		summary = append(summary, line)
		t.Log(line)
	}
	defer func() {
		t.Log("summary:\n  " + strings.Join(summary, "\n  "))
	}()

	dir := t.TempDir()
	t0 := time.Now()
	fill(t, filepath.Join(dir, "ipfwatch.db"), 100000)
	t.Logf("filled 100,000 events in %v", time.Since(t0).Round(time.Millisecond))

	bins := t.TempDir()
	if out, err := exec.Command("go", "build", "-tags", "no_emoji", "-o", filepath.Join(bins, "bare"), "./ui/internal/idle/bare").CombinedOutput(); err != nil {
		t.Fatalf("build the bare app: %v\n%s", err, out)
	}

	// The bare Fyne tray app, without and with the parker, each on a
	// desktop of its own: hidden, tray clicks, then the window open.
	// IPFWATCH_MEASURE_ONLY=ipfwatch skips the bare apps, for a quick look.
	bares := []struct {
		label string
		args  []string
	}{
		{"bare Fyne tray app", nil},
		{"bare Fyne tray app, parked", []string{"-park"}},
	}
	if os.Getenv("IPFWATCH_MEASURE_ONLY") == "ipfwatch" {
		bares = nil
	}
	for _, v := range bares {
		sess := desktoptest.Start(t, desktoptest.Options{Xvfb: true, Dunst: true, Watcher: true})
		cmd, lines := startOn(t, sess, filepath.Join(bins, "bare"), v.args...)
		item, err := sess.WaitItem(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		report("%s, window hidden: %s", v.label, idle(t, cmd.Process.Pid, win))
		med, worst := clickLatency(t, sess, item, lines, "Hello", "hello", 7)
		report("%s, window hidden: tray click to action: median %v, worst %v of 7", v.label, med.Round(time.Millisecond), worst.Round(time.Millisecond))
		med, worst = clickLatency(t, sess, item, lines, "Show", "shown", 1)
		report("%s: tray click to window shown: %v", v.label, med.Round(time.Millisecond))
		time.Sleep(5 * time.Second)
		report("%s, window open: %s", v.label, idle(t, cmd.Process.Pid, win))
		cmd.Process.Kill()
		cmd.Wait()
	}

	bin := ipfwatchBinary(t)
	{
		sess := desktoptest.Start(t, desktoptest.Options{Xvfb: true, Dunst: true, Watcher: true})
		start := time.Now()
		cmd, _ := startOn(t, sess, bin, "--listen", "127.0.0.1:18077", "--data-dir", dir)
		waitListening(t, "127.0.0.1:18077", start)
		report("ipfwatch with 100,000 events: start to listening %v", time.Since(start).Round(time.Millisecond))
		deliverOne(t, "http://127.0.0.1:18077/ipfabric")
		item, err := sess.WaitItem(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		report("ipfwatch, 100,000 events, window hidden (tray only): %s", idle(t, cmd.Process.Pid, win))
		if err := sess.ClickLabel(item, "Open ipfwatch"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		report("ipfwatch, 100,000 events, window open on Events: %s", idle(t, cmd.Process.Pid, win))
		cmd.Process.Kill()
		cmd.Wait()
	}

	// Headless, on the same database, with no display and no bus.
	{
		start := time.Now()
		cmd, _ := startOn(t, nil, bin, "serve", "--listen", "127.0.0.1:18078", "--data-dir", dir)
		waitListening(t, "127.0.0.1:18078", start)
		time.Sleep(5 * time.Second)
		report("ipfwatch serve, 100,000 events, idle: %s", idle(t, cmd.Process.Pid, win))
	}
}

// deliverOne sends one signed delivery and checks it is stored: the first
// insert loads the store's in-memory index of the 100,000 events, which the
// memory figures must include, as they would after a day's first webhook.
func deliverOne(t *testing.T, url string) {
	t.Helper()
	body := send.Body(send.Payload{SnapshotID: "measure-delivery", Status: "completed", Time: time.Now()})
	ans, err := send.Signed(context.Background(), url, "measure", body)
	if err != nil || ans.Status != http.StatusOK {
		t.Fatalf("one delivery: %+v, %v", ans, err)
	}
}

func waitListening(t *testing.T, addr string, start time.Time) {
	t.Helper()
	for {
		if r, err := http.Get("http://" + addr + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("not listening on %s after 60 s", addr)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
