package desktoptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fatalTB records the first Fatalf and stops the goroutine like t.Fatalf,
// so the test can read what Start would have told the engineer.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestMissingBinaryNamesPackage checks that a machine without the desktop
// programs gets a failure naming the Debian package to install, before
// anything is started.
func TestMissingBinaryNamesPackage(t *testing.T) {
	tests := []struct {
		opts    Options
		present []string // binaries on PATH
		want    string
	}{
		{Options{}, nil, "dbus-daemon not found in PATH: install the Debian package dbus"},
		{Options{Xvfb: true}, []string{"dbus-daemon"}, "Xvfb not found in PATH: install the Debian package xvfb"},
		{Options{Dunst: true}, []string{"dbus-daemon", "Xvfb"}, "dunst not found in PATH: install the Debian package dunst"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			dir := t.TempDir()
			for _, bin := range tc.present {
				real, err := exec.LookPath(bin)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(real, filepath.Join(dir, bin)); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", dir)
			f := &fatalTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				Start(f, tc.opts)
			}()
			<-done
			if !strings.Contains(f.msg, tc.want) {
				t.Errorf("Start failed with %q, want %q", f.msg, tc.want)
			}
		})
	}
}
