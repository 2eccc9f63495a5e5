//go:build !windows

package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
)

// maxSocketPath is the longest path a Unix socket address holds: sun_path
// is 108 bytes on Linux and 104 on macOS and the BSDs, with a final NUL.
func maxSocketPath() int {
	if runtime.GOOS == "linux" {
		return 107
	}
	return 103
}

// runtimeDir is $XDG_RUNTIME_DIR (private to the user by its
// specification), else <os.TempDir()>/ipfwatch-<uid>, created 0700 and
// refused unless it is a real directory of this user's that no one else
// can enter.
func runtimeDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return d, nil
	}
	d := filepath.Join(os.TempDir(), "ipfwatch-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !ownedByMe(fi) {
		return "", fmt.Errorf("%s is not a private directory of this user", d)
	}
	return d, nil
}

// listen binds the owner's socket, mode 0600: in the data directory if
// the path fits and the file system can hold a socket (some shared
// folders cannot), else in a per-user runtime directory under a name
// derived from the data directory, so two data directories never share
// one. Raise reads which from the lock file.
func listen(dataDir string) (net.Listener, string, error) {
	var errs []error
	if p := filepath.Join(dataDir, SocketName); len(p) <= maxSocketPath() {
		ln, err := listenAt(p)
		if err == nil {
			return ln, "unix:" + p, nil
		}
		errs = append(errs, err)
	}
	dir, err := runtimeDir()
	if err != nil {
		return nil, "", errors.Join(append(errs, err)...)
	}
	sum := sha256.Sum256([]byte(dataDir))
	p := filepath.Join(dir, "ipfwatch-"+hex.EncodeToString(sum[:8])+".sock")
	if len(p) > maxSocketPath() {
		return nil, "", errors.Join(append(errs, fmt.Errorf("socket path %s is too long", p))...)
	}
	ln, err := listenAt(p)
	if err != nil {
		return nil, "", errors.Join(append(errs, err)...)
	}
	return ln, "unix:" + p, nil
}

// listenAt binds path. A socket file left by an owner that died is
// removed first: holding the lock, this process is the only one entitled
// to the name.
func listenAt(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Only this user may connect. Until the chmod the socket has the
	// umask's mode (connecting needs write permission, which a usual umask
	// denies others), and a request needs the token in any case.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func ownedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
