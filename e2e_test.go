package main

// End-to-end tests of the real binary: they build (or take from
// IPFWATCH_BIN) the ipfwatch executable, run `ipfwatch serve` on a free
// loopback port with a temporary data directory, and talk to it the way IP
// Fabric and an engineer do: signed HTTP deliveries and CLI commands.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const e2eSecret = "e2e-secret-value"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// ipfwatchBinary returns the binary under test, building it once if make
// did not hand one over.
func ipfwatchBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("IPFWATCH_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "ipfwatch-e2e-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ipfwatch")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// server is a running `ipfwatch serve`.
type server struct {
	cmd     *exec.Cmd
	url     string // webhook URL
	base    string // http://127.0.0.1:port
	stderr  *syncBuffer
	dataDir string
}

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

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServe runs `ipfwatch serve` on a free loopback port and waits until
// it listens.
func startServe(t *testing.T, dataDir string, extraEnv ...string) *server {
	t.Helper()
	bin := ipfwatchBinary(t)
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "IPF_WEBHOOK_SECRET="+e2eSecret, "LANG=en_US.UTF-8")
	cmd.Env = append(cmd.Env, extraEnv...)
	stderr := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: stderr, dataDir: dataDir}
	t.Cleanup(func() { s.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		s.base = "http://" + addr
		s.url = s.base + "/ipfabric"
	case <-time.After(60 * time.Second):
		t.Fatalf("ipfwatch serve did not start listening:\n%s", stderr.String())
	}
	return s
}

func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ipfwatch serve exited with %v:\n%s", err, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
		t.Errorf("ipfwatch serve did not stop on SIGTERM")
	}
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

// runCLI runs an ipfwatch command against dataDir.
func runCLI(t *testing.T, dataDir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(ipfwatchBinary(t), args...)
	cmd.Env = append(os.Environ(), "IPFWATCH_DATA_DIR="+dataDir, "IPF_WEBHOOK_SECRET="+e2eSecret, "LANG=en_US.UTF-8")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run ipfwatch %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// post sends body with the given signature header (none when sig is "-").
func post(t *testing.T, url string, body []byte, sig string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sig != "-" {
		req.Header.Set("x-ipf-signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func snapshotBody(id string, ts time.Time) []byte {
	return []byte(fmt.Sprintf(`{"type":"snapshot","action":"discover","status":"completed","requester":"cron","snapshot":{"id":%q,"name":"e2e %s"},"timestamp":%d}`,
		id, id, ts.UnixMilli()))
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestE2EDeliveries(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)

	// A valid delivery through `ipfwatch send`.
	out, errOut, code := runCLI(t, dir, "send", "--url", s.url, "--type", "snapshot", "--status", "failed", "--reason", "license expired", "--snapshot-name", "nightly")
	if code != 0 || !strings.HasPrefix(out, "200 ") || !strings.Contains(out, `"result":"ok"`) {
		t.Fatalf("send: code %d out %q err %q", code, out, errOut)
	}
	// --curl prints a runnable command; the signature in it is over the exact body.
	out, _, code = runCLI(t, dir, "send", "--url", s.url, "--test", "--curl")
	if code != 0 || !strings.Contains(out, "curl -sS -X POST") || !strings.Contains(out, "--data-binary") {
		t.Fatalf("send --curl: code %d out %q", code, out)
	}
	// --bad-signature is refused, and the command says so with its exit code.
	out, _, code = runCLI(t, dir, "send", "--url", s.url, "--bad-signature")
	if code == 0 || !strings.HasPrefix(out, "400 ") || !strings.Contains(out, "Invalid message signature") {
		t.Fatalf("send --bad-signature: code %d out %q", code, out)
	}

	now := time.Now()
	body := snapshotBody("snap-1", now)
	cases := []struct {
		name   string
		body   []byte
		sig    string
		status int
		result string
	}{
		{"valid", body, sign(body, e2eSecret), 200, "ok"},
		{"duplicate", body, sign(body, e2eSecret), 200, "duplicate"},
		{"uppercase signature", snapshotBody("snap-2", now), strings.ToUpper(sign(snapshotBody("snap-2", now), e2eSecret)), 200, "ok"},
		{"sha256= prefix", snapshotBody("snap-3", now), "sha256=" + sign(snapshotBody("snap-3", now), e2eSecret), 200, "ok"},
		{"tampered", append(append([]byte{}, body[:len(body)-1]...), []byte(`,"x":1}`)...), sign(body, e2eSecret), 400, "Invalid message signature"},
		{"unsigned", snapshotBody("snap-4", now), "-", 400, "Invalid message signature"},
		{"wrong secret", snapshotBody("snap-5", now), sign(snapshotBody("snap-5", now), "other"), 400, "Invalid message signature"},
		{"oversized", bytes.Repeat([]byte("x"), 2<<20), "-", 413, ""},
		{"not JSON", []byte("not json"), sign([]byte("not json"), e2eSecret), 422, "Invalid payload"},
		{"no type", []byte(`{"timestamp":1}`), sign([]byte(`{"timestamp":1}`), e2eSecret), 422, "Invalid payload"},
		{"stale", snapshotBody("snap-6", now.Add(-3*time.Hour)), sign(snapshotBody("snap-6", now.Add(-3*time.Hour)), e2eSecret), 400, "Stale timestamp"},
	}
	ids := map[string]float64{}
	for _, c := range cases {
		status, ans := post(t, s.url, c.body, c.sig)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, status, c.status, ans)
			continue
		}
		if c.result != "" && ans["result"] != c.result {
			t.Errorf("%s: result %v, want %q", c.name, ans["result"], c.result)
		}
		if id, ok := ans["id"].(float64); ok {
			ids[c.name] = id
		}
	}
	if ids["duplicate"] != ids["valid"] || ids["valid"] == 0 {
		t.Errorf("duplicate answered id %v, first delivery id %v", ids["duplicate"], ids["valid"])
	}
	// Health and routing.
	resp, err := http.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(hb), `"status":"ok"`) || !strings.Contains(string(hb), "listening") {
		t.Errorf("healthz: %d %s", resp.StatusCode, hb)
	}
	if st, _ := post(t, s.base+"/elsewhere", body, sign(body, e2eSecret)); st != 404 {
		t.Errorf("other path: %d, want 404", st)
	}
	resp, err = http.Get(s.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET webhook path: %d, want 405", resp.StatusCode)
	}

	// The event log: newest first, ids as answered, the duplicate counted once.
	out, errOut, code = runCLI(t, dir, "log", "--json", "--limit", "100")
	if code != 0 {
		t.Fatalf("log --json: %d %s", code, errOut)
	}
	events := jsonLines(t, out)
	if len(events) != 5 { // send failed, send --curl test, valid, uppercase, sha256=
		t.Fatalf("log --json: %d events, want 5:\n%s", len(events), out)
	}
	byID := map[float64]map[string]any{}
	for _, e := range events {
		byID[e["id"].(float64)] = e
	}
	first := byID[ids["valid"]]
	if first == nil || first["snapshot_id"] != "snap-1" || first["duplicates"].(float64) != 1 || first["status"] != "completed" {
		t.Errorf("valid event as logged: %v", first)
	}
	if events[0]["id"].(float64) < events[len(events)-1]["id"].(float64) {
		t.Errorf("log not newest first: %v", events)
	}
	// The failure log: every refusal with its reason and, for signatures, a hint.
	out, _, code = runCLI(t, dir, "log", "--failures", "--json")
	if code != 0 {
		t.Fatalf("log --failures: %d", code)
	}
	fails := jsonLines(t, out)
	reasons := map[string]int{}
	hints := map[string]bool{}
	for _, f := range fails {
		reasons[f["reason"].(string)]++
		hints[f["hint"].(string)] = true
		if strings.Contains(fmt.Sprint(f), e2eSecret) {
			t.Errorf("secret in a failure row: %v", f)
		}
	}
	if reasons["Invalid message signature"] != 4 { // send --bad-signature, tampered, unsigned, wrong secret
		t.Errorf("signature failures logged: %v", reasons)
	}
	if !hints["header missing"] {
		t.Errorf("no 'header missing' hint among %v", hints)
	}
	for _, r := range []string{"Payload too large", "Invalid payload", "Stale timestamp"} {
		if reasons[r] == 0 {
			t.Errorf("no %q among failures %v", r, reasons)
		}
	}
	// The human-readable table.
	out, _, _ = runCLI(t, dir, "log")
	if !strings.Contains(out, "RECEIVED") || !strings.Contains(out, "snap-1") && !strings.Contains(out, "e2e snap-1") {
		t.Errorf("log table:\n%s", out)
	}
	if strings.Contains(s.stderr.String(), e2eSecret) {
		t.Errorf("secret in the server log")
	}
}

// TestE2ECrash kills ipfwatch with SIGKILL while deliveries stream in, then
// checks that every delivery answered 2xx is in the database.
func TestE2ECrash(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	var mu sync.Mutex
	acked := map[float64]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := snapshotBody(fmt.Sprintf("crash-%d-%d", w, i), time.Now())
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url, bytes.NewReader(body))
				req.Header.Set("X-IPF-Signature", sign(body, e2eSecret))
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				var ans map[string]any
				json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked[ans["id"].(float64)] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	// Let a few hundred land, then pull the plug.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.kill()
	close(stop)
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < 300 {
		t.Fatalf("only %d deliveries acknowledged before the kill", n)
	}
	// Restart on the same data and read everything back.
	s2 := startServe(t, dir)
	out, errOut, code := runCLI(t, dir, "log", "--json", "--limit", "1000000")
	if code != 0 {
		t.Fatalf("log: %d %s", code, errOut)
	}
	stored := map[float64]bool{}
	for _, e := range jsonLines(t, out) {
		stored[e["id"].(float64)] = true
	}
	lost := 0
	for id := range acked {
		if !stored[id] {
			lost++
		}
	}
	t.Logf("crash test: %d deliveries acknowledged before SIGKILL, %d stored after restart, %d acknowledged but lost", n, len(stored), lost)
	if lost != 0 {
		t.Errorf("%d acknowledged deliveries lost", lost)
	}
	s2.stop(t)
}
