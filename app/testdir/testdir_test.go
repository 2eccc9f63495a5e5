package testdir

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNewRemovesEverything: files and subdirectories made in the directory
// are gone after the test that made them.
func TestNewRemovesEverything(t *testing.T) {
	var dir string
	t.Run("user", func(t *testing.T) {
		dir = New(t)
		sub := filepath.Join(dir, "a", "b")
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(dir, "f"), filepath.Join(sub, "g")} {
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s after its test: %v, want not to exist", dir, err)
	}
}
