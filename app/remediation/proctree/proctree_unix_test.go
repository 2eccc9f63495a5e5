//go:build unix

package proctree

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/testdir"
)

// TestShellScriptTree is the remediation case: a shell script that starts a
// background program which ignores SIGTERM. Stop ends both, and the script's
// Wait returns although the background program held its output pipe.
func TestShellScriptTree(t *testing.T) {
	dir := testdir.New(t)
	pidFile := filepath.Join(dir, "bg.pid")
	script := `(trap '' TERM; exec sleep 300) & echo $! > "$1.tmp" && mv "$1.tmp" "$1"; echo started; wait`
	cmd := exec.Command("/bin/sh", "-c", script, "sh", pidFile)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.WaitDelay = 5 * time.Second
	tree, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var bg int
	deadline := time.Now().Add(eventually)
	for bg == 0 {
		if b, err := os.ReadFile(pidFile); err == nil {
			if bg, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
				t.Fatal(err)
			}
		} else if time.Now().After(deadline) {
			tree.Kill()
			cmd.Wait()
			t.Fatal("the script never started its background program")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if gone(bg) {
		t.Fatalf("background program %d not running", bg)
	}
	if err := tree.Stop(200 * time.Millisecond); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("the script exited successfully after Stop")
	}
	waitGone(t, "background program", bg)
	waitNotAlive(t, tree)
	if !strings.Contains(out.String(), "started") {
		t.Errorf("script output %q", out.String())
	}
}

// TestKeepsCallerSysProcAttr: Start adds the process group to the caller's
// SysProcAttr rather than replacing it.
func TestKeepsCallerSysProcAttr(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"="+quick)
	cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: true}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	tree, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !cmd.SysProcAttr.Setpgid || cmd.SysProcAttr.Credential != cred {
		t.Errorf("SysProcAttr after Start: %+v", *cmd.SysProcAttr)
	}
}
