package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// agentFile is the user's LaunchAgent, which launchd loads at every login.
// Writing it is enough: it takes effect at the next login, and loading it
// now (launchctl) would start a second ipfwatch beside the running one.
func (e Env) agentFile() (string, error) {
	home, err := e.home()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "LaunchAgents", Label+".plist"), nil
}

// Enable writes the LaunchAgent for exe and args.
func (e Env) Enable(exe string, args ...string) error {
	content, err := LaunchAgent(exe, args)
	if err != nil {
		return err
	}
	path, err := e.agentFile()
	if err != nil {
		return err
	}
	return writeFile(path, []byte(content))
}

// Disable removes the LaunchAgent.
func (e Env) Disable() error {
	path, err := e.agentFile()
	if err != nil {
		return err
	}
	return removeFile(path)
}

// Status reads the LaunchAgent.
func (e Env) Status() (Status, error) {
	path, err := e.agentFile()
	if err != nil {
		return Status{}, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Status{Where: path}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("autostart: %w", err)
	}
	enabled, cmd, err := parseLaunchAgent(string(data))
	if err != nil {
		return Status{}, fmt.Errorf("%s: %w", path, err)
	}
	return Status{Enabled: enabled, Where: path, Command: cmd}, nil
}
