//go:build windows

package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// writePrivate creates the temporary file with its final security
// descriptor already in place (CreateFile with SECURITY_ATTRIBUTES), so the
// data is never readable by anyone else, not even between creating and
// restricting the file. A rename keeps a file's security descriptor.
func writePrivate(path string, data []byte) error {
	sa, err := ownerOnly()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := createPrivateTemp(dir, "."+filepath.Base(path)+".tmp", sa)
	if err != nil {
		return err
	}
	return replaceWith(f, path, data)
}

// ownerOnly returns security attributes whose DACL grants the current user
// full control and no one else anything. The DACL is protected (SDDL "P"),
// so the directory's inheritable entries (Administrators, SYSTEM, ...) are
// not added to it.
func ownerOnly() (*windows.SecurityAttributes, error) {
	sid, err := currentUserSID()
	if err != nil {
		return nil, err
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;FA;;;" + sid.String() + ")")
	if err != nil {
		return nil, fmt.Errorf("build the file's security descriptor: %w", err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return sa, nil
}

// currentUserSID is the SID of the user this process runs as.
func currentUserSID() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("find the current user: %w", err)
	}
	return u.User.Sid, nil
}

// createPrivateTemp creates a new file named prefix plus random hex in dir,
// with security attributes sa, open for writing.
func createPrivateTemp(dir, prefix string, sa *windows.SecurityAttributes) (*os.File, error) {
	for range 100 {
		b := make([]byte, 8)
		rand.Read(b)
		name := filepath.Join(dir, prefix+hex.EncodeToString(b))
		p, err := windows.UTF16PtrFromString(name)
		if err != nil {
			return nil, err
		}
		h, err := windows.CreateFile(p, windows.GENERIC_WRITE, 0, sa, windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL, 0)
		if errors.Is(err, windows.ERROR_FILE_EXISTS) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "create", Path: name, Err: err}
		}
		return os.NewFile(uintptr(h), name), nil
	}
	return nil, fmt.Errorf("create a temporary file in %s: every name tried exists", dir)
}
