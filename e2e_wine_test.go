//go:build wine

package main

// End-to-end tests of the Windows build under wine, behind the wine build
// tag so that a plain `go test .` does not cross-compile for minutes: `make
// test` (or `make test-windows`) runs them with -tags wine, cross-compiles ipfwatch.exe and the Windows builds of some
// packages' tests, prepares a private wine prefix (tools/wine/prefix.sh), and
// hands them over in IPFWATCH_WIN_BIN, IPFWATCH_WIN_TESTS and
// IPFWATCH_WINEPREFIX. Wine runs headless: no display, console programs only.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// wineHarness runs Windows programs in the prefix make prepared.
type wineHarness struct {
	wine, wineserver, prefix string
	exe                      string // ipfwatch.exe
	tests                    string // directory of the packages' Windows test binaries
}

// needWine returns the harness, and stops every process of the prefix when
// the test ends. Without make's variables it fails: the tag asked for wine.
func needWine(t *testing.T) *wineHarness {
	t.Helper()
	h := &wineHarness{
		exe:    os.Getenv("IPFWATCH_WIN_BIN"),
		tests:  os.Getenv("IPFWATCH_WIN_TESTS"),
		prefix: os.Getenv("IPFWATCH_WINEPREFIX"),
	}
	if h.exe == "" || h.tests == "" || h.prefix == "" {
		t.Fatal("IPFWATCH_WIN_BIN, IPFWATCH_WIN_TESTS and IPFWATCH_WINEPREFIX are set by `make test` and `make test-windows`")
	}
	for _, tool := range []struct {
		path *string
		name string
	}{{&h.wine, "wine"}, {&h.wineserver, "wineserver"}} {
		out, err := exec.Command("tools/wine/find.sh", tool.name).Output()
		if err != nil {
			t.Fatalf("find %s (install the Debian package wine64): %v", tool.name, err)
		}
		*tool.path = strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		cmd := exec.Command(h.wineserver, "-k")
		cmd.Env = h.env()
		cmd.Run() // fails when nothing runs in the prefix
	})
	return h
}

// env is the environment of every wine process: the prefix, quiet, and no
// display, so nothing can open a window.
func (h *wineHarness) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			env = append(env, kv)
		}
	}
	env = append(env, "WINEPREFIX="+h.prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=", "LANG=en_US.UTF-8")
	return append(env, extra...)
}

// command runs a Windows program (a Unix path) under wine.
func (h *wineHarness) command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, h.wine, append([]string{exe}, args...)...)
	cmd.Env = h.env()
	return cmd
}

// winPath is the Windows name of a Unix path: wine maps / to drive Z:.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// cli runs ipfwatch.exe with the data directory dir.
func (h *wineHarness) cli(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := h.command(ctx, h.exe, args...)
	cmd.Env = append(cmd.Env, "IPFWATCH_DATA_DIR="+winPath(dir), "IPF_WEBHOOK_SECRET="+e2eSecret)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wine ipfwatch.exe %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// serve starts `ipfwatch.exe serve` on a free loopback port and waits until
// it listens. It is killed when the test ends: wine cannot deliver a console
// control event from outside, so a clean stop is not tested here.
func (h *wineHarness) serve(t *testing.T, dir string) *server {
	t.Helper()
	cmd := h.command(context.Background(), h.exe, "serve", "--listen", "127.0.0.1:0", "--data-dir", winPath(dir))
	cmd.Env = append(cmd.Env, "IPF_WEBHOOK_SECRET="+e2eSecret)
	stderr := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(stderr, pw)
	// A process the server started and failed to stop may hold its stderr
	// open; Wait must not wait for that.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
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
	s := &server{cmd: cmd, stderr: stderr, dataDir: dir}
	select {
	case addr := <-found:
		s.base = "http://" + addr
		s.url = s.base + "/ipfabric"
	case <-time.After(2 * time.Minute):
		t.Fatalf("ipfwatch.exe serve did not start listening under wine:\n%s", stderr.String())
	}
	return s
}

// TestWineServe: under wine, the Windows build serves: a signed delivery is
// accepted, a forged one refused, and `ipfwatch.exe log` shows both from
// another process, through the same SQLite database.
func TestWineServe(t *testing.T) {
	h := needWine(t)
	dir := t.TempDir()
	s := h.serve(t, dir)
	body := snapshotBody("wine-1", time.Now())
	if status, ans := post(t, s.url, body, sign(body, e2eSecret)); status != 200 || ans["result"] != "ok" {
		t.Errorf("signed delivery: %d %v", status, ans)
	}
	forged := snapshotBody("wine-2", time.Now())
	if status, ans := post(t, s.url, forged, sign(forged, "not-the-secret")); status != 400 || ans["result"] != "Invalid message signature" {
		t.Errorf("forged delivery: %d %v", status, ans)
	}

	out, errOut, code := h.cli(t, dir, "log", "--json")
	if code != 0 {
		t.Fatalf("log --json: exit %d: %s", code, errOut)
	}
	events := jsonLines(t, out)
	if len(events) != 1 || events[0]["snapshot_id"] != "wine-1" || events[0]["status"] != "completed" {
		t.Errorf("log --json: %v, want the one signed delivery", events)
	}
	out, errOut, code = h.cli(t, dir, "log", "--failures", "--json")
	if code != 0 {
		t.Fatalf("log --failures --json: exit %d: %s", code, errOut)
	}
	fails := jsonLines(t, out)
	if len(fails) != 1 || fails[0]["reason"] != "Invalid message signature" {
		t.Errorf("log --failures --json: %v, want the forged delivery", fails)
	}
	if strings.Contains(out+s.stderr.String(), e2eSecret) {
		t.Error("the secret appears in the failure log or the server's log")
	}
}

// passRE matches a test that passed in `go test -v` output.
var passRE = regexp.MustCompile(`(?m)^\s*--- PASS: (\S+)`)

// TestWinePackageTests runs the Windows builds of the packages' own tests
// under wine: proctree's (a child and a grandchild in a job object, killed
// as a tree) and config's private-file tests (the secret file's DACL).
func TestWinePackageTests(t *testing.T) {
	h := needWine(t)
	cases := []struct {
		binary string
		run    string // -test.run, empty for all
		want   []string
	}{
		{"proctree_test.exe", "", []string{"TestStopsWholeTree", "TestTerminate", "TestCloseKillsTree", "TestEndsOnItsOwn", "TestStartRefuses"}},
		// The other config tests use t.TempDir, which wine cannot clean up
		// (see app/testdir).
		{"config_test.exe", "^(TestWritePrivateFile|TestSecretFileIsPrivate)$", []string{"TestWritePrivateFile", "TestSecretFileIsPrivate"}},
	}
	for _, c := range cases {
		t.Run(c.binary, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			args := []string{"-test.v", "-test.count=1"}
			if c.run != "" {
				args = append(args, "-test.run", c.run)
			}
			cmd := h.command(ctx, filepath.Join(h.tests, c.binary), args...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("wine %s: %v\n%s", c.binary, err, out)
			}
			passed := map[string]bool{}
			for _, m := range passRE.FindAllStringSubmatch(string(out), -1) {
				passed[m[1]] = true
			}
			for _, name := range c.want {
				if !passed[name] {
					t.Errorf("%s did not pass under wine:\n%s", name, out)
				}
			}
			if bytes.Contains(out, []byte("--- FAIL")) {
				t.Errorf("failures under wine:\n%s", out)
			}
			t.Logf("%s under wine: %d tests passed", c.binary, len(passed))
		})
	}
}

// TestWineRemediationTree: under wine, an approved run whose program started
// a child is stopped by its timeout, and the whole tree goes with it: the
// program, and the grandchild that only the job object ties to the run. The
// timeout takes the same path as Cancel (the runner stops the tree), and
// unlike Cancel needs no UI.
func TestWineRemediationTree(t *testing.T) {
	h := needWine(t)
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	if err := os.Mkdir(pids, 0o700); err != nil {
		t.Fatal(err)
	}
	spawntree := filepath.Join(h.tests, "spawntree.exe")
	// The timeout only has to outlast starting two processes under wine
	// and the test's look at them; a slow machine fails with that said.
	const timeout = 20 * time.Second
	rules := fmt.Sprintf(`rules:
  - name: spawn-tree
    enabled: true
    match: {type: intent-verification, action: calculate, status: completed}
    command: [%q, %q]
    workdir: %q
    timeout: %s
    expires: 1h
`, winPath(spawntree), winPath(pids), winPath(dir), timeout)
	if err := os.WriteFile(filepath.Join(dir, "remediations.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	s := h.serve(t, dir)
	out, errOut, code := h.cli(t, dir, "send", "--url", s.url, "--type", "intent-verification", "--action", "calculate",
		"--status", "completed", "--snapshot-id", "wine-tree")
	if code != 0 {
		t.Fatalf("send: exit %d: %s %s", code, out, errOut)
	}
	var id string
	for deadline := time.Now().Add(time.Minute); id == "" && time.Now().Before(deadline); {
		out, _, _ = h.cli(t, dir, "proposals", "--json")
		for _, p := range jsonLines(t, out) {
			if p["rule"] == "spawn-tree" && p["state"] == "pending" {
				id = fmt.Sprint(p["id"])
			}
		}
	}
	if id == "" {
		t.Fatalf("no pending proposal: %s\nserver log:\n%s", out, s.stderr.String())
	}
	if out, errOut, code = h.cli(t, dir, "approve", id); code != 0 || !strings.Contains(out, "queued for the running ipfwatch") {
		t.Fatalf("approve: exit %d: %q %q", code, out, errOut)
	}
	started := time.Now()
	deadline := started.Add(timeout)
	for _, role := range []string{"child", "grandchild"} {
		for {
			if _, err := os.Stat(filepath.Join(pids, role+".pid")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the run's %s never started:\n%s", role, s.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !h.alive(t, filepath.Join(pids, role+".pid")) {
			t.Fatalf("the run's %s is not running while the run is", role)
		}
	}
	if time.Since(started) >= timeout {
		t.Fatalf("looking at the tree took longer than the run's timeout (%s); the machine is too slow for this test", timeout)
	}
	var run map[string]any
	for deadline := time.Now().Add(timeout + time.Minute); run == nil && time.Now().Before(deadline); {
		out, _, _ = h.cli(t, dir, "runs", "--json")
		if runs := jsonLines(t, out); len(runs) == 1 && runs[0]["state"] != "queued" && runs[0]["state"] != "running" {
			run = runs[0]
		}
	}
	if run == nil || run["state"] != "timed_out" {
		t.Fatalf("run: %v, want timed_out\nserver log:\n%s", run, s.stderr.String())
	}
	for _, role := range []string{"child", "grandchild"} {
		if h.alive(t, filepath.Join(pids, role+".pid")) {
			t.Errorf("the run's %s still runs after the run timed out", role)
		}
	}
}

// alive asks spawntree.exe whether the process in pidFile still runs.
func (h *wineHarness) alive(t *testing.T, pidFile string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := h.command(ctx, filepath.Join(h.tests, "spawntree.exe"), "-alive", winPath(pidFile)).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false
	default:
		t.Fatalf("spawntree -alive %s: %v: %s", pidFile, err, out)
		return false
	}
}
