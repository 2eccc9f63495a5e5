// Package autostart starts ipfwatch when the engineer logs in, the way each
// desktop expects a per-user program to ask for it: an XDG autostart entry
// on Linux and the BSDs, a LaunchAgent on macOS, the HKCU Run key on
// Windows. Nothing here needs administrator rights, and nothing runs a
// shell: each generator quotes the command line for the one parser that
// will read it.
//
// The Settings toggle and `ipfwatch autostart on|off|status` call Enable,
// Disable and Status; the content generators (DesktopEntry, LaunchAgent,
// RunValue) are pure functions so every OS can test every format.
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"
)

const (
	// Name is the file name stem and the Run value name.
	Name = "ipfwatch"
	// Label is the launchd label, the app ID of FyneApp.toml.
	Label = "io.github.ipfwatch"
	// Comment is the one-line description desktops show, the same as
	// FyneApp.toml's [LinuxAndBSD] Comment.
	Comment = "IP Fabric webhooks: verified, logged, notified, remediated by approval"
	// Icon is the icon `make install` installs (fyne package names it, and
	// the .desktop file, after the app ID), so the autostart entry shows
	// the same icon.
	Icon = Label
)

// Env is what the per-OS code asks of its process; tests point it at a
// temporary directory. The zero Env is the real one.
type Env struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// HomeDir is the user's home; nil means os.UserHomeDir.
	HomeDir func() (string, error)
}

// Status is what is configured now.
type Status struct {
	// Enabled is whether ipfwatch starts at the next login.
	Enabled bool
	// Where is the file or registry value that says so (or would), to
	// show the engineer.
	Where string
	// Command is the program and arguments the entry starts, when there
	// is one; the program may since have moved.
	Command []string
}

// Enable makes the user's login start exe (an absolute path) with args.
func Enable(exe string, args ...string) error { return Env{}.Enable(exe, args...) }

// Disable stops ipfwatch from starting at login. Already disabled is not
// an error.
func Disable() error { return Env{}.Disable() }

// Current returns the current Status.
func Current() (Status, error) { return Env{}.Status() }

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return os.Getenv(k)
	}
	return e.Getenv(k)
}

func (e Env) home() (string, error) {
	f := e.HomeDir
	if f == nil {
		f = os.UserHomeDir
	}
	h, err := f()
	if err != nil {
		return "", fmt.Errorf("autostart: no home directory: %w", err)
	}
	return h, nil
}

// ErrBadCommand is returned for a command line no autostart format can
// carry faithfully.
var ErrBadCommand = errors.New("autostart: unusable command")

// checkCommand refuses what would be mangled: a relative program (login
// runs with another working directory and PATH), text that is not UTF-8,
// and control characters (no format escapes them all alike).
func checkCommand(exe string, args []string, isAbs func(string) bool) error {
	if !isAbs(exe) {
		return fmt.Errorf("%w: %q is not an absolute path", ErrBadCommand, exe)
	}
	for _, s := range append([]string{exe}, args...) {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%w: %q is not UTF-8", ErrBadCommand, s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("%w: %q holds a control character", ErrBadCommand, s)
			}
		}
	}
	return nil
}

// writeFile replaces path atomically, so a login never sees half a file.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("autostart: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("autostart: write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// removeFile removes path; a missing file is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
