package lockfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

var errNotExist = os.ErrNotExist

// errSharingViolation is ERROR_SHARING_VIOLATION.
const errSharingViolation syscall.Errno = 32

// Take opens path for writing while sharing nothing (or, with readable,
// only reading): every other opener for writing fails until this handle is
// closed or the process dies. ok is false when another opener holds it.
func Take(path string, readable bool) (f *os.File, ok bool, err error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, false, err
	}
	var share uint32
	if readable {
		share = syscall.FILE_SHARE_READ
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, share, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		if errors.Is(err, errSharingViolation) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("open %s: %w", path, err)
	}
	return os.NewFile(uintptr(h), path), true, nil
}
