// Package dirwatch tells its caller when one of a few files in a directory
// changes: the data directory's secret files, rules file and remediation
// kick file, which other processes (`ipfwatch secret`, `ipfwatch approve`,
// an editor, a git pull) change under a running ipfwatch.
//
// It uses the operating system's file events (fsnotify: inotify, kqueue,
// ReadDirectoryChangesW), so an idle ipfwatch never wakes to look. The
// directory is watched rather than the files, because the files are
// replaced by rename (atomic writes) and may not exist yet. Where the OS
// refuses a watch (inotify limits reached, say), it falls back to looking
// every PollEvery.
//
// A directory watch hears about every file in the directory, and the data
// directory also holds the database: every page SQLite writes to its WAL
// is an event. So all the Watchers of one directory share one OS watch
// (see shared.go), whose goroutine hands a Watcher only the names it asked
// for; a busy database then wakes one goroutine, not one per Watcher.
package dirwatch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// PollEvery is how often the fallback looks at the files.
const PollEvery = 2 * time.Second

// Settle is how long a file must be quiet before its change is reported. A
// file written in place (truncated, then written) shows up as several
// events; reporting the first would hand the caller an empty or half-written
// file, so a burst is reported once, after it.
const Settle = 100 * time.Millisecond

// Watcher reports changes until Close.
type Watcher struct {
	dir   string
	names map[string]bool
	fn    func(name string)

	shared *dirWatch // the directory's OS watch; nil when polling

	// mu guards changed, the names the shared watch has seen change since
	// the Watcher's goroutine last looked; wake (capacity 1) tells it to.
	mu      sync.Mutex
	changed map[string]bool
	wake    chan struct{}

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Watch calls fn with the base name of each of names in dir when that file
// is created, written, renamed or removed. fn runs on the watcher's one
// goroutine, so calls never overlap; a burst of events for one file may
// call it more than once.
func Watch(dir string, names []string, fn func(name string)) (*Watcher, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	w := &Watcher{
		dir: dir, names: map[string]bool{}, fn: fn,
		changed: map[string]bool{}, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, n := range names {
		w.names[n] = true
	}
	d, err := subscribe(dir, w)
	if err != nil {
		go w.poll()
		return w, nil
	}
	w.shared = d
	go w.events()
	return w, nil
}

// Polling reports whether the watcher fell back to polling.
func (w *Watcher) Polling() bool { return w.shared == nil }

// mark records that name changed and wakes the Watcher's goroutine. The
// shared watch's goroutine calls it, and it never blocks: a Watcher busy in
// fn must not hold up the directory's other Watchers.
func (w *Watcher) mark(name string) {
	w.mu.Lock()
	w.changed[name] = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default: // a wake is pending already; it will see this name
	}
}

func (w *Watcher) events() {
	defer close(w.done)
	due := map[string]time.Time{} // changed files, and when to report them
	settle := time.NewTimer(Settle)
	settle.Stop()
	for {
		select {
		case <-w.stop:
			settle.Stop()
			return
		case <-w.wake:
			w.mu.Lock()
			for n := range w.changed {
				due[n] = time.Now().Add(Settle)
			}
			clear(w.changed)
			w.mu.Unlock()
			settle.Reset(Settle)
		case now := <-settle.C:
			next := time.Duration(0)
			for n, at := range due {
				if wait := at.Sub(now); wait > 0 {
					if next == 0 || wait < next {
						next = wait
					}
					continue
				}
				delete(due, n)
				w.fn(n)
			}
			if next > 0 {
				settle.Reset(next)
			}
		}
	}
}

// stamp identifies a file's version cheaply; "" when it is absent.
func (w *Watcher) stamp(name string) string {
	fi, err := os.Stat(filepath.Join(w.dir, name))
	if errors.Is(err, os.ErrNotExist) || err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size())
}

func (w *Watcher) poll() {
	defer close(w.done)
	seen := map[string]string{}
	for n := range w.names {
		seen[n] = w.stamp(n)
	}
	t := time.NewTicker(PollEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		for n := range w.names {
			if s := w.stamp(n); s != seen[n] {
				seen[n] = s
				w.fn(n)
			}
		}
	}
}

// Close stops the watcher and waits until fn is no longer running. The
// directory's OS watch is closed with its last Watcher.
func (w *Watcher) Close() error {
	var err error
	w.once.Do(func() {
		close(w.stop)
		if w.shared != nil {
			err = w.shared.unsubscribe(w)
		}
		<-w.done
	})
	return err
}
