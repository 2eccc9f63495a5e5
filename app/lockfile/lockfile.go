// Package lockfile is the one way ipfwatch holds a file lock between
// processes: the remediation runner's runner.lock and the instance's
// instance.lock. A lock goes with its open file: closing it, or the
// process dying, releases it, so a crash never leaves a stale lock; Go
// opens files close-on-exec, so children never inherit it.
package lockfile

import "errors"

// Held reports whether some open file holds the lock on path.
func Held(path string) (bool, error) {
	f, ok, err := Take(path, false)
	if err != nil {
		if errors.Is(err, errNotExist) {
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
