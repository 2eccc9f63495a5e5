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

// The files ipfwatch keeps in its data directory are named here and only
// here, so the tray app, the CLI and the tests always agree on them.
const (
	dbFile       = "ipfwatch.db"
	rulesFile    = "remediations.yaml"
	settingsFile = "settings.json"
	runnerLock   = "runner.lock"
	// kickFile is touched by a process that decided on a remediation
	// (`ipfwatch approve` beside a running ipfwatch), so the process that
	// runs remediations hears of it without polling the database.
	kickFile = "remediation.kick"
)

// DBPath is the database file in dataDir.
func DBPath(dataDir string) string { return filepath.Join(dataDir, dbFile) }

// RulesPath is the remediation rules file in dataDir.
func RulesPath(dataDir string) string { return filepath.Join(dataDir, rulesFile) }

// SettingsFile is the settings file in dataDir.
func SettingsFile(dataDir string) string { return filepath.Join(dataDir, settingsFile) }

// SecretFile is the 0600 file that holds secret w where there is no
// keyring.
func SecretFile(dataDir string, w Which) string {
	return filepath.Join(dataDir, "secret."+string(w))
}

// RunnerLockPath is the lock held by the one process that runs approved
// remediations.
func RunnerLockPath(dataDir string) string { return filepath.Join(dataDir, runnerLock) }

// KickPath is the file touched to tell the remediation runner that the
// database changed under it.
func KickPath(dataDir string) string { return filepath.Join(dataDir, kickFile) }
