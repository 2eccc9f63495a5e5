package lockfile

import (
	"path/filepath"
	"testing"
)

func TestTakeHeldRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	if held, err := Held(path); err != nil || held {
		t.Fatalf("before: held %v, %v", held, err)
	}
	f, ok, err := Take(path, false)
	if err != nil || !ok {
		t.Fatalf("Take: %v %v", ok, err)
	}
	if _, ok, _ := Take(path, true); ok {
		t.Error("taken twice")
	}
	if held, _ := Held(path); !held {
		t.Error("not held while taken")
	}
	f.Close()
	if held, _ := Held(path); held {
		t.Error("held after release")
	}
}
