//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package remediation

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// passThroughEnv is what a run inherits from ipfwatch's environment.
var passThroughEnv = []string{"PATH", "HOME", "LANG"}

// lockFile takes an exclusive, non-blocking flock on path. ok is false if
// another open file (in this or another process) holds it. The lock goes
// with the file: closing it, or the process dying, releases it. Go opens
// files close-on-exec, so child processes never inherit it.
func lockFile(path string) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, true, nil
}

// lockHeld reports whether some open file holds the lock on path.
func lockHeld(path string) (bool, error) {
	f, ok, err := lockFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	if !ok {
		return true, nil
	}
	f.Close()
	return false, nil
}
