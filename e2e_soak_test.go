package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
)

// The soak's load, on loopback only and bounded in count and time.
const (
	soakValid    = 1000                 // valid signed events, at a steady rate
	soakInterval = 8 * time.Millisecond // between two valid events
	soakBad      = 20000                // bad requests in all
	soakSources  = 4                    // loopback addresses they come from: 127.0.0.2 ...
	soakLarge    = 100                  // of the bad ones, bodies over the size limit
	soakSlow     = 40                   // of the bad ones, connections that trickle their headers
	soakMaxRSSKB = 250 << 10            // memory bound for the server
	soakRejCap   = 5000                 // max_rejections for the soak's data directory
)

// validSender sends soakValid distinct signed events to the url current()
// gives, at a steady rate, and records which were answered 2xx and how
// fast. Answers other than 2xx (a restart under way) are not retried: the
// test checks only what ipfwatch acknowledged.
type validSender struct {
	mu      sync.Mutex
	acked   []string // snapshot ids answered 2xx
	latency []time.Duration
	other   int
}

func (v *validSender) run(t *testing.T, current func() string, pause func(i int)) {
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(soakInterval)
	defer tick.Stop()
	for i := 0; i < soakValid; i++ {
		<-tick.C
		if pause != nil {
			pause(i)
		}
		snap := fmt.Sprintf("soak-%05d", i)
		body := snapshotBody(snap, time.Now())
		req, _ := http.NewRequest(http.MethodPost, current(), bytes.NewReader(body))
		req.Header.Set("X-IPF-Signature", sign(body, e2eSecret))
		start := time.Now()
		resp, err := client.Do(req)
		took := time.Since(start)
		v.mu.Lock()
		if err == nil && resp.StatusCode/100 == 2 {
			v.acked = append(v.acked, snap)
			v.latency = append(v.latency, took)
		} else {
			v.other++
		}
		v.mu.Unlock()
		if err == nil {
			resp.Body.Close()
		}
	}
}

func (v *validSender) p99() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	l := slices.Clone(v.latency)
	slices.Sort(l)
	if len(l) == 0 {
		return 0
	}
	return l[len(l)*99/100]
}

// flood sends the bad requests from soakSources loopback addresses until
// done: forged signatures, malformed (correctly signed) JSON, bodies over
// the size limit, and connections that send their headers a byte at a
// time. It returns how many it sent.
func flood(t *testing.T, addr string, stop <-chan struct{}) int64 {
	var sent atomic.Int64
	var wg sync.WaitGroup
	per := (soakBad - soakSlow) / soakSources // the large bodies are among them
	large := bytes.Repeat([]byte("x"), (1<<20)+4096)
	for src := 0; src < soakSources; src++ {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+src))}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext:         (&net.Dialer{LocalAddr: local}).DialContext,
			MaxIdleConnsPerHost: 4,
		}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				body := []byte(fmt.Sprintf(`{"type":"snapshot","action":"discover","status":"completed","snapshot":{"id":"forged-%d"},"timestamp":%d}`, i, time.Now().UnixMilli()))
				sig := sign(body, "not-the-secret")
				if i%3 == 0 {
					body = []byte(`{"type": "snapshot", "timestamp": `) // malformed, correctly signed
					sig = sign(body, e2eSecret)
				}
				if src == 0 && i < soakLarge {
					body, sig = large, "00"
				}
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/ipfabric", bytes.NewReader(body))
				req.Header.Set("X-IPF-Signature", sig)
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
				sent.Add(1)
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	for i := 0; i < soakSlow; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%soakSources))}, Timeout: 5 * time.Second}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			sent.Add(1)
			// The server must give up on these (ReadHeaderTimeout) rather
			// than hold a connection per trickle.
			for _, b := range []byte("POST /ipfabric HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}
	wg.Wait()
	return sent.Load()
}

// rssKB is a process's resident memory.
func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// storedSnapshots counts the stored events of each snapshot id.
func storedSnapshots(t *testing.T, dir string) map[string]int {
	t.Helper()
	out, errOut, code := runCLI(t, dir, "log", "--json", "--limit", "100000")
	if code != 0 {
		t.Fatalf("log: %s", errOut)
	}
	n := map[string]int{}
	for _, e := range jsonLines(t, out) {
		n[fmt.Sprint(e["snapshot_id"])]++
	}
	return n
}

func soakDataDir(t *testing.T) string {
	dir := t.TempDir()
	settings := fmt.Sprintf(`{"listen":":8000","path":"/ipfabric","max_age":"1h","retain_events":"2160h","retain_rejections":"720h","max_rejections":%d,"max_concurrent_runs":2}`, soakRejCap)
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestE2ESoakUnderAttack: 1,000 valid signed events at a steady rate while
// 20,000 bad requests arrive from several loopback addresses. Afterwards
// every valid event answered 2xx is stored exactly once, the valid events'
// p99 stayed under 50 ms, the failure log is within its cap, the flood
// made at most a couple of notifications, and the server's memory stayed
// bounded.
func TestE2ESoakUnderAttack(t *testing.T) {
	sess := desktoptest.Start(t, desktoptest.Options{Dunst: true})
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", sess.BusAddress)
	t.Setenv("DISPLAY", sess.Display)
	dir := soakDataDir(t)
	s := startServe(t, dir)
	addr := strings.TrimPrefix(s.base, "http://")

	var maxRSS atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if kb := int64(rssKB(s.cmd.Process.Pid)); kb > maxRSS.Load() {
				maxRSS.Store(kb)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()

	stopFlood := make(chan struct{})
	var bad int64
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		bad = flood(t, addr, stopFlood)
	}()
	v := &validSender{}
	v.run(t, func() string { return s.url }, nil)
	<-flooded
	close(stopFlood)
	close(stopSampling)
	<-sampled

	t.Logf("valid: %d answered 2xx, %d not; bad requests sent: %d; valid p99 %v; max RSS %d MB",
		len(v.acked), v.other, bad, v.p99(), maxRSS.Load()>>10)
	if len(v.acked) != soakValid {
		t.Errorf("%d of %d valid events answered 2xx under attack", len(v.acked), soakValid)
	}
	stored := storedSnapshots(t, dir)
	for _, snap := range v.acked {
		if stored[snap] != 1 {
			t.Errorf("event of %s stored %d times, want exactly once", snap, stored[snap])
		}
	}
	if p := v.p99(); p >= 50*time.Millisecond {
		t.Errorf("valid events' p99 %v under attack, want under 50 ms", p)
	}
	if kb := maxRSS.Load(); kb > soakMaxRSSKB {
		t.Errorf("server RSS reached %d MB, want at most %d MB", kb>>10, soakMaxRSSKB>>10)
	}
	out, _, _ := runCLI(t, dir, "log", "--failures", "--json", "--limit", "100000")
	if n := len(jsonLines(t, out)); n == 0 || n > soakRejCap {
		t.Errorf("%d refused deliveries logged, want some and at most the cap %d", n, soakRejCap)
	}
	s.stop(t)
	notes, err := sess.Notifications()
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for _, n := range notes {
		if strings.Contains(strings.ToLower(n.Summary+" "+n.Body), "signature") {
			failures++
		}
	}
	if failures > 2 {
		t.Errorf("the flood made %d signature-failure notifications, want at most 2", failures)
	}
}

// TestE2ESoakRestarts: valid events keep coming while the server is
// stopped with SIGTERM, and later killed with SIGKILL, and started again
// each time; nothing answered 2xx is lost or stored twice.
func TestE2ESoakRestarts(t *testing.T) {
	dir := soakDataDir(t)
	var mu sync.Mutex
	s := startServe(t, dir)
	url := s.url
	current := func() string {
		mu.Lock()
		defer mu.Unlock()
		return url
	}
	restart := func(sig syscall.Signal) {
		mu.Lock()
		old := s
		mu.Unlock()
		if sig == syscall.SIGKILL {
			old.kill()
		} else {
			old.stop(t)
		}
		next := startServe(t, dir)
		mu.Lock()
		s, url = next, next.url
		mu.Unlock()
	}
	v := &validSender{}
	v.run(t, current, func(i int) {
		switch i {
		case soakValid / 3:
			restart(syscall.SIGTERM)
		case 2 * soakValid / 3:
			restart(syscall.SIGKILL)
		}
	})
	if len(v.acked) < soakValid*9/10 {
		t.Errorf("only %d of %d answered 2xx across two restarts", len(v.acked), soakValid)
	}
	stored := storedSnapshots(t, dir)
	for _, snap := range v.acked {
		if stored[snap] != 1 {
			t.Errorf("event of %s, answered 2xx, stored %d times", snap, stored[snap])
		}
	}
	for snap, n := range stored {
		if n > 1 {
			t.Errorf("event of %s stored %d times", snap, n)
		}
	}
}
