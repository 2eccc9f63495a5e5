package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestE2ESecondServeRefused: a second `ipfwatch serve` on the same data
// directory exits non-zero at once, naming the one running, instead of
// failing later on a busy port; the CLI keeps working beside it.
func TestE2ESecondServeRefused(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	started := time.Now()
	_, stderr, code := runCLI(t, dir, "serve", "--listen", "127.0.0.1:0")
	if took := time.Since(started); code == 0 || took > 20*time.Second {
		t.Fatalf("second serve: exit %d after %v, want a refusal at once; stderr:\n%s", code, took, stderr)
	}
	want := fmt.Sprintf("already running (pid %d)", s.cmd.Process.Pid)
	if !strings.Contains(stderr, want) {
		t.Errorf("second serve said %q, want it to contain %q", stderr, want)
	}
	// Beside the running one, the CLI reads and decides as before.
	if out, errOut, code := runCLI(t, dir, "log"); code != 0 || !strings.Contains(out, "no events") {
		t.Errorf("log beside a running serve: exit %d, %q %q", code, out, errOut)
	}
	if out, errOut, code := runCLI(t, dir, "proposals"); code != 0 || !strings.Contains(out, "no proposals") {
		t.Errorf("proposals beside a running serve: exit %d, %q %q", code, out, errOut)
	}
	// Once it has stopped, serve starts again.
	s.stop(t)
	s2 := startServe(t, dir)
	s2.stop(t)
}
