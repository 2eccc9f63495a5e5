package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ERemediation: a signed "intent-verification calculate completed"
// webhook makes the running server propose the matching rule; `ipfwatch
// approve` approves it from another process; the server runs it; `ipfwatch
// runs --json` shows success and the output.
func TestE2ERemediation(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "fix-ntp.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"fixing snapshot $IPF_SNAPSHOT_ID args: $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rules := fmt.Sprintf(`rules:
  - name: fix-ntp
    enabled: true
    match: {type: intent-verification, action: calculate, status: completed}
    command: [%q, "--snapshot", "{{snapshotId}}"]
    workdir: %q
    timeout: 1m
    expires: 1h
`, script, dir)
	if err := os.WriteFile(filepath.Join(dir, "remediations.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dir)
	out, errOut, code := runCLI(t, dir, "send", "--url", s.url, "--type", "intent-verification", "--action", "calculate",
		"--status", "completed", "--snapshot-id", "7c1f0b6e-e2e")
	if code != 0 {
		t.Fatalf("send: %d %s %s", code, out, errOut)
	}
	var proposal map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for proposal == nil && time.Now().Before(deadline) {
		out, _, _ = runCLI(t, dir, "proposals", "--json")
		for _, p := range jsonLines(t, out) {
			if p["rule"] == "fix-ntp" && p["state"] == "pending" {
				proposal = p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if proposal == nil {
		t.Fatalf("no pending proposal; proposals: %s\nserver log:\n%s", out, s.stderr.String())
	}
	argv := fmt.Sprint(proposal["argv"])
	if !strings.Contains(argv, "7c1f0b6e-e2e") || !strings.Contains(argv, script) {
		t.Errorf("proposal argv %s", argv)
	}
	id := fmt.Sprint(proposal["id"])
	out, errOut, code = runCLI(t, dir, "approve", id)
	if code != 0 || !strings.Contains(out, "queued for the running ipfwatch") {
		t.Fatalf("approve: %d %q %q", code, out, errOut)
	}
	// Approving twice is refused with a reason.
	if _, errOut, code = runCLI(t, dir, "approve", id); code == 0 || errOut == "" {
		t.Errorf("second approve: exit %d, stderr %q", code, errOut)
	}
	var run map[string]any
	deadline = time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, _, _ = runCLI(t, dir, "runs", "--json")
		if runs := jsonLines(t, out); len(runs) == 1 && runs[0]["state"] != "queued" && runs[0]["state"] != "running" {
			run = runs[0]
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if run == nil {
		t.Fatalf("run did not finish: %s\nserver log:\n%s", out, s.stderr.String())
	}
	if run["state"] != "succeeded" || run["exit_code"] != float64(0) {
		t.Fatalf("run %v", run)
	}
	out, _, code = runCLI(t, dir, "run-output", fmt.Sprint(run["id"]))
	if code != 0 || !strings.Contains(out, "fixing snapshot 7c1f0b6e-e2e args: --snapshot 7c1f0b6e-e2e") {
		t.Errorf("run output %q", out)
	}
	// Unknown ids are refused.
	if _, _, code = runCLI(t, dir, "reject", "999"); code == 0 {
		t.Errorf("reject 999 succeeded")
	}
}
