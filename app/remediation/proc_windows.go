//go:build windows

package remediation

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// passThroughEnv is what a run inherits from ipfwatch's environment. Windows
// programs need a few more variables than PATH, HOME and LANG to work at all.
var passThroughEnv = []string{"PATH", "HOME", "LANG", "SystemRoot", "windir", "USERPROFILE", "TEMP", "TMP", "PATHEXT", "ComSpec"}

// errSharingViolation is ERROR_SHARING_VIOLATION.
const errSharingViolation syscall.Errno = 32

// lockFile opens path with no sharing, which excludes every other opener
// until it is closed or the process dies.
func lockFile(path string) (f *os.File, ok bool, err error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, false, err
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		if errors.Is(err, errSharingViolation) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("open %s: %w", path, err)
	}
	return os.NewFile(uintptr(h), path), true, nil
}

// lockHeld reports whether another opener holds path.
func lockHeld(path string) (bool, error) {
	f, ok, err := lockFile(path)
	if err != nil || !ok {
		return !ok && err == nil, err
	}
	f.Close()
	return false, nil
}
