//go:build !windows && !darwin

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAutostartCommand runs on, status and off against a temporary
// XDG_CONFIG_HOME: the real entry file appears, names this binary and the
// chosen data directory, and goes away.
func TestAutostartCommand(t *testing.T) {
	config, dataDir := t.TempDir(), t.TempDir()
	entry := filepath.Join(config, "autostart", "ipfwatch.desktop")
	env := noDisplayEnv(map[string]string{"XDG_CONFIG_HOME": config, "XDG_CONFIG_DIRS": t.TempDir(), "HOME": t.TempDir()})
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(args, Env{Stdout: &out, Stderr: &errOut, Getenv: env})
		return code, out.String(), errOut.String()
	}
	exe, _ := os.Executable()

	if code, out, _ := run("autostart", "status"); code != 0 || out != "autostart: off ("+entry+")\n" {
		t.Errorf("status before: %d %q", code, out)
	}
	code, out, stderr := run("--data-dir", dataDir, "autostart", "on")
	if want := "autostart: on (" + entry + ")\nstarts: " + exe + " --data-dir " + dataDir + "\n"; code != 0 || out != want {
		t.Errorf("on: %d %q %q, want %q", code, out, stderr, want)
	}
	data, err := os.ReadFile(entry)
	if err != nil || !strings.Contains(string(data), "Exec=") {
		t.Fatalf("entry: %v\n%s", err, data)
	}
	if code, out, _ := run("autostart", "status"); code != 0 || !strings.HasPrefix(out, "autostart: on (") {
		t.Errorf("status: %d %q", code, out)
	}
	if code, out, _ := run("autostart", "off"); code != 0 || out != "autostart: off ("+entry+")\n" {
		t.Errorf("off: %d %q", code, out)
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("entry left: %v", err)
	}
	// An entry for a binary since moved or removed.
	os.MkdirAll(filepath.Dir(entry), 0o755)
	os.WriteFile(entry, []byte("[Desktop Entry]\nType=Application\nExec=/nonexistent/ipfwatch\n"), 0o644)
	if code, out, _ := run("autostart", "status"); code != 0 || !strings.Contains(out, "warning: /nonexistent/ipfwatch no longer exists") {
		t.Errorf("status of a stale entry: %d %q", code, out)
	}
	for _, args := range [][]string{{"autostart"}, {"autostart", "maybe"}, {"autostart", "on", "off"}} {
		if code, _, stderr := run(args...); code != 2 || !strings.Contains(stderr, "usage: ipfwatch autostart on|off|status") {
			t.Errorf("%q: %d %q", args, code, stderr)
		}
	}
}
