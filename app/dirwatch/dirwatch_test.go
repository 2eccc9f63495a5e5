package dirwatch

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type seen struct {
	mu    sync.Mutex
	names []string
	ch    chan string
}

func (s *seen) fn(name string) {
	s.mu.Lock()
	s.names = append(s.names, name)
	s.mu.Unlock()
	select {
	case s.ch <- name:
	default:
	}
}

func (s *seen) wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case n := <-s.ch:
			if n == want {
				return
			}
		case <-deadline:
			t.Fatalf("no change of %s reported", want)
		}
	}
}

// TestReportsWatchedFilesOnly checks creation, an atomic replace by rename
// and removal of a watched file are reported, and that other files in the
// directory are not.
func TestReportsWatchedFilesOnly(t *testing.T) {
	dir := t.TempDir()
	s := &seen{ch: make(chan string, 16)}
	w, err := Watch(dir, []string{"secret.current", "remediation.kick"}, s.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Polling() {
		t.Fatal("fell back to polling on a machine with inotify")
	}
	if err := os.WriteFile(filepath.Join(dir, "other.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "remediation.kick"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "remediation.kick")
	tmp := filepath.Join(dir, ".secret.current.tmp")
	if err := os.WriteFile(tmp, []byte("s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "secret.current")); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "secret.current")
	if err := os.Remove(filepath.Join(dir, "secret.current")); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "secret.current")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.names {
		if n != "secret.current" && n != "remediation.kick" {
			t.Errorf("reported %q, which is not watched", n)
		}
	}
}

// TestPollingFallback drives the fallback directly.
func TestPollingFallback(t *testing.T) {
	dir := t.TempDir()
	s := &seen{ch: make(chan string, 16)}
	w := &Watcher{dir: dir, names: map[string]bool{"f": true}, fn: s.fn, stop: make(chan struct{}), done: make(chan struct{})}
	go w.poll()
	defer w.Close()
	time.Sleep(100 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "f")
}

// TestWatchersShareOneOSWatch checks that two Watchers of one directory
// share one OS watch, that each hears only of its own files, that closing
// one leaves the other working, and that the watch is closed with the last.
func TestWatchersShareOneOSWatch(t *testing.T) {
	dir := t.TempDir()
	a := &seen{ch: make(chan string, 16)}
	b := &seen{ch: make(chan string, 16)}
	wa, err := Watch(dir, []string{"a"}, a.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer wa.Close()
	// The same directory, spelled differently.
	wb, err := Watch(dir+string(filepath.Separator)+".", []string{"b"}, b.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if wa.Polling() || wb.Polling() {
		t.Fatal("fell back to polling on a machine with inotify")
	}
	if wa.shared != wb.shared {
		t.Fatal("two Watchers of one directory have an OS watch each")
	}
	write := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a")
	write("b")
	a.wait(t, "a")
	b.wait(t, "b")

	if err := wa.Close(); err != nil {
		t.Fatal(err)
	}
	write("b")
	b.wait(t, "b")
	watches.Lock()
	n := len(watches.dirs)
	watches.Unlock()
	if n != 1 {
		t.Fatalf("%d directories watched with one Watcher open, want 1", n)
	}
	if err := wb.Close(); err != nil {
		t.Fatal(err)
	}
	watches.Lock()
	n = len(watches.dirs)
	watches.Unlock()
	if n != 0 {
		t.Fatalf("%d directories still watched after the last Close, want 0", n)
	}
	for _, s := range []struct {
		name string
		got  *seen
	}{{"a", a}, {"b", b}} {
		s.got.mu.Lock()
		for _, n := range s.got.names {
			if n != s.name {
				t.Errorf("the Watcher of %q was told of %q", s.name, n)
			}
		}
		s.got.mu.Unlock()
	}

	// A Watcher of the directory after its watch closed opens a new one.
	c := &seen{ch: make(chan string, 16)}
	wc, err := Watch(dir, []string{"a"}, c.fn)
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	write("a")
	c.wait(t, "a")
}
