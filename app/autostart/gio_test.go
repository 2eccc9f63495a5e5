//go:build linux

package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestGLibLaunchesEntry has GLib, which GNOME, Cinnamon, Xfce and others use
// to run autostart entries, launch the entry Enable wrote (`gio launch`),
// for a program under a directory full of characters that need quoting.
// The program writes the arguments it received.
func TestGLibLaunchesEntry(t *testing.T) {
	gio, err := exec.LookPath("gio")
	if err != nil {
		t.Fatal("gio not found: install libglib2.0-bin (make deps-test)")
	}
	root := t.TempDir()
	dir := filepath.Join(root, `w $x "q" \b 'a' `+"`t`"+` ;&|<>~*?#() é`)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "argv")
	exe := filepath.Join(dir, "ipfwatch")
	script := "#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done > " + out + ".tmp && mv " + out + ".tmp " + out + "\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--data-dir", `/srv/ipf $HOME "data" \ 100%`, "%f", ""}
	config := t.TempDir()
	e := Env{Getenv: func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return config
		}
		return ""
	}}
	if err := e.Enable(exe, args...); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gio, "launch", filepath.Join(config, "autostart", "ipfwatch.desktop"))
	// A bus address that leads nowhere: gio must not autolaunch a daemon.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(root, "no-bus")}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gio launch: %v\n%s", err, b)
	}
	// gio starts the program and returns; wait for its output file.
	var got []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = os.ReadFile(out); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the program never ran: %v", err)
	}
	want := append([]string{exe}, args...)
	if lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n"); !reflect.DeepEqual(lines, want) {
		t.Errorf("GLib ran %q, want %q", lines, want)
	}
}
