package config

import (
	"os"
	"path/filepath"
	"runtime"
)

// AppID is the application's unique ID, also in FyneApp.toml. The default
// data directory is derived from it so that the tray app and the CLI share
// one database.
const AppID = "io.github.ipfwatch"

// DefaultDataDir is the storage directory Fyne gives the app with ID AppID:
// <fyne root config dir>/<AppID>. It is computed here, not asked of Fyne,
// because the CLI must find it without a display. Fyne's root is
// os.UserConfigDir()/fyne everywhere except macOS, where Fyne uses
// ~/Library/Preferences rather than Go's ~/Library/Application Support.
func DefaultDataDir() string {
	return filepath.Join(fyneRootConfigDir(runtime.GOOS), AppID)
}

func fyneRootConfigDir(goos string) string {
	if goos == "darwin" {
		home, _ := os.UserHomeDir()
		return filepath.Join(home, "Library", "Preferences", "fyne")
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "fyne")
}
