//go:build !windows

package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongDataDir: where <data-dir>/instance.sock would not fit in a
// socket address, the socket goes to $XDG_RUNTIME_DIR, or else to a
// private directory in the temporary directory, named by the data
// directory's hash; Raise finds it through the lock file either way.
func TestLongDataDir(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	runtime := t.TempDir()
	for _, xdg := range []string{runtime, ""} {
		t.Run(fmt.Sprintf("XDG_RUNTIME_DIR=%q", xdg), func(t *testing.T) {
			t.Setenv("XDG_RUNTIME_DIR", xdg)
			in := mustAcquire(t, long)
			addr := strings.TrimPrefix(in.Addr(), "unix:")
			wantDir := runtime
			if xdg == "" {
				wantDir = filepath.Join(os.TempDir(), fmt.Sprintf("ipfwatch-%d", os.Getuid()))
				fi, err := os.Stat(wantDir)
				if err != nil || fi.Mode().Perm() != 0o700 {
					t.Errorf("fallback dir %s: %v %v", wantDir, fi.Mode(), err)
				}
			}
			if filepath.Dir(addr) != wantDir || len(addr) > maxSocketPath() {
				t.Errorf("socket %s, want one in %s", addr, wantDir)
			}
			if fi, err := os.Stat(addr); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("socket mode: %v %v", fi.Mode(), err)
			}
			if err := Raise(long); err != nil || !received(in) {
				t.Errorf("Raise: %v", err)
			}
			in.Close()
			if _, err := os.Stat(addr); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("socket left after Close: %v", err)
			}
		})
	}
}
