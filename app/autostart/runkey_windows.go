package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// where names the value for the engineer.
const where = `HKEY_CURRENT_USER\` + RunKey + `\` + Name

// Enable sets the Run value for exe and args. Env is not consulted: the
// registry is per user already.
func (e Env) Enable(exe string, args ...string) error {
	value, err := RunValue(exe, args)
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, RunKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("autostart: open %s: %w", RunKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(Name, value); err != nil {
		return fmt.Errorf("autostart: set %s: %w", where, err)
	}
	return nil
}

// Disable deletes the Run value.
func (e Env) Disable() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("autostart: open %s: %w", RunKey, err)
	}
	defer k.Close()
	if err := k.DeleteValue(Name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("autostart: delete %s: %w", where, err)
	}
	return nil
}

// Status reads the Run value. (Task Manager's Startup tab can turn it off
// without deleting it, under Explorer\StartupApproved\Run; that is not
// read here.)
func (e Env) Status() (Status, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, RunKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return Status{Where: where}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("autostart: open %s: %w", RunKey, err)
	}
	defer k.Close()
	v, _, err := k.GetStringValue(Name)
	if errors.Is(err, registry.ErrNotExist) {
		return Status{Where: where}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("autostart: read %s: %w", where, err)
	}
	return Status{Enabled: true, Where: where, Command: splitRunValue(v)}, nil
}
