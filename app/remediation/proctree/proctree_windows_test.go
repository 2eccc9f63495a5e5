package proctree

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// TestCloseKillsTree: the job is created kill-on-close, so releasing it (as
// the system does when ipfwatch dies) ends every process still in it.
func TestCloseKillsTree(t *testing.T) {
	tree, cmd, pids := startTree(t)
	if err := tree.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The exit code says nothing here: wine reports 0 for a process that
	// closing its job ended.
	cmd.Wait()
	waitGone(t, "child", pids[child])
	waitGone(t, "grandchild", pids[grandchild])
}

// TestKeepsCallerSysProcAttr: Start adds its creation flags to the caller's
// SysProcAttr rather than replacing it.
func TestKeepsCallerSysProcAttr(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"="+quick)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: windows.CREATE_NO_WINDOW}
	tree, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	want := uint32(windows.CREATE_NO_WINDOW | windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP)
	if !cmd.SysProcAttr.HideWindow || cmd.SysProcAttr.CreationFlags != want {
		t.Errorf("SysProcAttr after Start: %+v", *cmd.SysProcAttr)
	}
}
