//go:build !windows && !darwin

package autostart

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// testEnv is an Env whose home and XDG directories are temporary.
func testEnv(t *testing.T, vars map[string]string) (Env, string) {
	t.Helper()
	home := t.TempDir()
	return Env{
		Getenv:  func(k string) string { return vars[k] },
		HomeDir: func() (string, error) { return home, nil },
	}, home
}

func TestXDGEnableDisable(t *testing.T) {
	config := t.TempDir()
	e, _ := testEnv(t, map[string]string{"XDG_CONFIG_HOME": config, "XDG_CONFIG_DIRS": t.TempDir()})
	path := filepath.Join(config, "autostart", "ipfwatch.desktop")

	st, err := e.Status()
	if err != nil || st.Enabled || st.Where != path || st.Command != nil {
		t.Fatalf("before: %+v, %v", st, err)
	}
	if err := e.Disable(); err != nil {
		t.Errorf("Disable when off: %v", err)
	}

	exe := "/opt/ip fabric/ipfwatch"
	if err := e.Enable(exe, "--data-dir", "/srv/ipf $data"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DesktopEntry(exe, []string{"--data-dir", "/srv/ipf $data"})
	if string(data) != want {
		t.Errorf("file:\n%s\nwant\n%s", data, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	st, err = e.Status()
	if err != nil || !st.Enabled || st.Where != path || !reflect.DeepEqual(st.Command, []string{exe, "--data-dir", "/srv/ipf $data"}) {
		t.Errorf("after Enable: %+v, %v", st, err)
	}

	// Enabling again replaces the entry (the binary moved), leaving no
	// temporary files behind.
	if err := e.Enable("/usr/local/bin/ipfwatch"); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Status(); !reflect.DeepEqual(st.Command, []string{"/usr/local/bin/ipfwatch"}) {
		t.Errorf("after the second Enable: %+v", st)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("autostart dir holds %d files", len(entries))
	}

	// The desktop's own switch (GNOME Tweaks, Xfce's Session and Startup).
	os.WriteFile(path, []byte("[Desktop Entry]\nExec=/usr/local/bin/ipfwatch\nX-GNOME-Autostart-enabled=false\n"), 0o644)
	if st, _ := e.Status(); st.Enabled {
		t.Errorf("switched off by the desktop but reported on: %+v", st)
	}

	if err := e.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("entry still there: %v", err)
	}
	if st, _ := e.Status(); st.Enabled {
		t.Errorf("after Disable: %+v", st)
	}
}

// TestXDGDefaults: without XDG_CONFIG_HOME (or with a relative one, which
// the spec says to ignore) the entry goes to ~/.config/autostart.
func TestXDGDefaults(t *testing.T) {
	for _, v := range []string{"", "relative/dir"} {
		e, home := testEnv(t, map[string]string{"XDG_CONFIG_HOME": v, "XDG_CONFIG_DIRS": t.TempDir()})
		if err := e.Enable("/usr/bin/ipfwatch"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(home, ".config", "autostart", "ipfwatch.desktop")); err != nil {
			t.Errorf("XDG_CONFIG_HOME=%q: %v", v, err)
		}
	}
	e := Env{Getenv: func(string) string { return "" }, HomeDir: func() (string, error) { return "", errors.New("no home") }}
	if err := e.Enable("/usr/bin/ipfwatch"); err == nil {
		t.Error("Enable without a home succeeded")
	}
}

// TestXDGSystemEntry: a system-wide entry (a distribution package's) is
// reported, and Disable overrides it with a Hidden user entry instead of
// leaving it on.
func TestXDGSystemEntry(t *testing.T) {
	config, sys := t.TempDir(), t.TempDir()
	e, _ := testEnv(t, map[string]string{"XDG_CONFIG_HOME": config, "XDG_CONFIG_DIRS": "relative:" + sys})
	sysEntry := filepath.Join(sys, "autostart", "ipfwatch.desktop")
	os.MkdirAll(filepath.Dir(sysEntry), 0o755)
	content, _ := DesktopEntry("/usr/bin/ipfwatch", nil)
	os.WriteFile(sysEntry, []byte(content), 0o644)

	st, err := e.Status()
	if err != nil || !st.Enabled || st.Where != sysEntry {
		t.Fatalf("system entry: %+v, %v", st, err)
	}
	if err := e.Disable(); err != nil {
		t.Fatal(err)
	}
	user := filepath.Join(config, "autostart", "ipfwatch.desktop")
	st, err = e.Status()
	if err != nil || st.Enabled || st.Where != user {
		t.Errorf("after Disable: %+v, %v", st, err)
	}
	if _, err := os.Stat(sysEntry); err != nil {
		t.Errorf("system entry touched: %v", err)
	}
	if err := e.Enable("/home/ana/bin/ipfwatch"); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Status(); !st.Enabled || st.Where != user || st.Command[0] != "/home/ana/bin/ipfwatch" {
		t.Errorf("after Enable: %+v", st)
	}
}

func TestXDGBadCommand(t *testing.T) {
	config := t.TempDir()
	e, _ := testEnv(t, map[string]string{"XDG_CONFIG_HOME": config})
	if err := e.Enable("bin/ipfwatch"); !errors.Is(err, ErrBadCommand) {
		t.Errorf("relative exe: %v", err)
	}
	if _, err := os.Stat(filepath.Join(config, "autostart")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Enable created files: %v", err)
	}
}
