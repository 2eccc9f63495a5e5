//go:build !windows

package lockfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

var errNotExist = os.ErrNotExist

// Take takes an exclusive, non-blocking flock on path (created 0600). ok is
// false if another open file, in this process or another, holds it.
// readable has no meaning here: a flock never keeps others from reading.
func Take(path string, readable bool) (f *os.File, ok bool, err error) {
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
