// Package testdir gives tests a temporary directory that can also be
// cleaned up under wine.
//
// The Windows builds of some packages' tests run under Debian's wine 8 (see
// tools/wine). There os.RemoveAll, and so the cleanup of t.TempDir, fails
// with "Invalid function": Go deletes through NtSetInformationFile with
// FileDispositionInformationEx, which wine 8 does not implement, and falls
// back only on the errors real Windows versions give. os.Remove (DeleteFile,
// RemoveDirectory) works, so this directory is removed entry by entry.
package testdir

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// New creates a temporary directory for t and removes it, with everything
// in it, when t ends. A file left open (which Windows cannot delete) fails
// the test.
func New(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipfwatch-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			paths = append(paths, p) // a directory that cannot be read fails below
			return nil
		})
		slices.Reverse(paths) // a directory's entries before the directory
		for _, p := range paths {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				t.Errorf("clean up %s: %v", p, err)
			}
		}
	})
	return dir
}
