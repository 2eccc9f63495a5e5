package ui

import (
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// watcherName is the bus name of the StatusNotifierWatcher that Linux
// panels run to collect tray items.
const watcherName = "org.kde.StatusNotifierWatcher"

// trayAvailable reports whether a tray icon would be seen. On Linux the
// icon is a StatusNotifierItem on the session bus, shown only by a panel
// that runs a StatusNotifierWatcher: without a bus, or without a watcher
// (plain GNOME), ipfwatch shows its window instead of hiding in a tray
// nobody draws.
func trayAvailable(log *slog.Logger) bool {
	ok, why := sessionHasWatcher()
	if !ok {
		log.Warn("no system tray", "why", why)
	}
	return ok
}

// sessionHasWatcher asks the session bus whether a watcher owns its name.
// It never starts a bus (autolaunching one would leave a daemon behind that
// outlives us), and it uses a private connection, closed after the
// question, since the shared one stays bound to whatever bus it first met.
func sessionHasWatcher() (bool, string) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return false, "no D-Bus session bus: " + err.Error()
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false, "cannot authenticate to the D-Bus session bus: " + err.Error()
	}
	if err := conn.Hello(); err != nil {
		return false, "cannot greet the D-Bus session bus: " + err.Error()
	}
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has); err != nil {
		return false, "cannot ask the session bus for " + watcherName + ": " + err.Error()
	}
	if !has {
		return false, "the panel runs no " + watcherName + " (on GNOME, install the AppIndicator extension)"
	}
	return true, ""
}
