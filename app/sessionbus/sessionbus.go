// Package sessionbus answers the question every part of ipfwatch that
// touches D-Bus (notifications, the keyring) asks first: is there a session
// bus to talk to? Asking the D-Bus library to connect when there is none
// makes it autolaunch a bus daemon of its own (dbus-launch) that outlives
// ipfwatch, so a headless `ipfwatch serve` would leave one behind each
// time. Here the answer is found the way godbus finds a bus without
// autolaunching: the environment, then the systemd user bus socket.
package sessionbus

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
)

// Missing reports whether this is a D-Bus desktop platform without a
// session bus to be found. macOS and Windows need none and always answer
// false.
func Missing() bool { return missing(runtime.GOOS, os.Getenv, exists) }

func missing(goos string, getenv func(string) string, exists func(string) bool) bool {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return false
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

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
