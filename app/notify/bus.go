package notify

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
)

// ErrNoSessionBus is LastError when there is no session bus to send to.
var ErrNoSessionBus = errors.New("notify: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset): desktop notifications are off")

// sessionBusMissing reports whether, on a D-Bus desktop, no session bus can
// be found. beeep would then have the D-Bus library autolaunch a bus daemon
// of its own (dbus-launch), which outlives ipfwatch: a headless `ipfwatch
// serve` would leave one behind for every notification. The lookup mirrors
// godbus: the environment, then the systemd user bus socket.
func sessionBusMissing(goos string, getenv func(string) string, exists func(string) bool) bool {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return false // macOS and Windows notify without D-Bus
	}
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return false
	}
	u, err := user.Current()
	if err != nil {
		return true
	}
	dir := filepath.Join("/run/user", u.Uid)
	return !exists(filepath.Join(dir, "bus")) && !exists(filepath.Join(dir, "dbus-session"))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// busExists is how checkSessionBus looks for the systemd user bus; tests
// replace it to observe the refusal on machines that have one.
var busExists = fileExists

func checkSessionBus() error {
	if sessionBusMissing(runtime.GOOS, os.Getenv, busExists) {
		return fmt.Errorf("%w", ErrNoSessionBus)
	}
	return nil
}
