//go:build !windows && !darwin

package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The XDG Autostart Specification: the user's entries live in
// $XDG_CONFIG_HOME/autostart (default ~/.config/autostart); system-wide
// ones in each $XDG_CONFIG_DIRS/autostart (default /etc/xdg/autostart),
// and a user entry of the same name overrides a system one.

// userEntry is the user's autostart file.
func (e Env) userEntry() (string, error) {
	dir := e.getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) { // unset, or relative: the spec says ignore it
		home, err := e.home()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", Name+".desktop"), nil
}

// systemEntries are the system-wide autostart files that may exist.
func (e Env) systemEntries() []string {
	dirs := e.getenv("XDG_CONFIG_DIRS")
	if dirs == "" {
		dirs = "/etc/xdg"
	}
	var files []string
	for _, d := range strings.Split(dirs, ":") {
		if filepath.IsAbs(d) {
			files = append(files, filepath.Join(d, "autostart", Name+".desktop"))
		}
	}
	return files
}

// Enable writes the user's autostart entry for exe and args.
func (e Env) Enable(exe string, args ...string) error {
	content, err := DesktopEntry(exe, args)
	if err != nil {
		return err
	}
	path, err := e.userEntry()
	if err != nil {
		return err
	}
	return writeFile(path, []byte(content))
}

// Disable removes the user's entry; if a system-wide entry would still
// start ipfwatch, it writes a Hidden one over it instead.
func (e Env) Disable() error {
	path, err := e.userEntry()
	if err != nil {
		return err
	}
	for _, sys := range e.systemEntries() {
		if _, err := os.Stat(sys); err == nil {
			return writeFile(path, []byte(hiddenEntry))
		}
	}
	return removeFile(path)
}

// Status reads the entry that counts: the user's, else the first
// system-wide one.
func (e Env) Status() (Status, error) {
	path, err := e.userEntry()
	if err != nil {
		return Status{}, err
	}
	for _, p := range append([]string{path}, e.systemEntries()...) {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return Status{}, fmt.Errorf("autostart: %w", err)
		}
		enabled, cmd, err := parseDesktopEntry(string(data))
		if err != nil {
			return Status{}, fmt.Errorf("%s: %w", p, err)
		}
		return Status{Enabled: enabled, Where: p, Command: cmd}, nil
	}
	return Status{Where: path}, nil
}
