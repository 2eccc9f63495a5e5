//go:build !linux

package ui

import "log/slog"

// trayAvailable is true where the tray is part of the desktop itself (the
// macOS menu bar, the Windows notification area).
func trayAvailable(*slog.Logger) bool { return true }
