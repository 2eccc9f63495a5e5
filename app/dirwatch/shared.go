package dirwatch

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// dirWatch is one OS watch of a directory, shared by every Watcher of it.
type dirWatch struct {
	key  string // the directory, absolute and clean: its key in watches
	fsw  *fsnotify.Watcher
	subs map[*Watcher]bool // guarded by watches' lock
	done chan struct{}     // closed when dispatch returns
}

// watches holds the directories watched now. Its lock guards every
// dirWatch's subscribers too, and orders a directory's last unsubscribe
// before the next subscribe, so a new Watcher never joins a watch that is
// closing.
var watches = struct {
	sync.Mutex
	dirs map[string]*dirWatch
}{dirs: map[string]*dirWatch{}}

// subscribe adds w to dir's OS watch, opening it if w is the first.
func subscribe(dir string, w *Watcher) (*dirWatch, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	watches.Lock()
	defer watches.Unlock()
	d := watches.dirs[key]
	if d == nil {
		fsw, err := fsnotify.NewWatcher()
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", dir, err)
		}
		if err := fsw.Add(dir); err != nil {
			fsw.Close()
			return nil, fmt.Errorf("watch %s: %w", dir, err)
		}
		d = &dirWatch{key: key, fsw: fsw, subs: map[*Watcher]bool{}, done: make(chan struct{})}
		watches.dirs[key] = d
		go d.dispatch()
	}
	d.subs[w] = true
	return d, nil
}

// unsubscribe removes w, and closes the OS watch if w was its last Watcher.
func (d *dirWatch) unsubscribe(w *Watcher) error {
	watches.Lock()
	delete(d.subs, w)
	last := len(d.subs) == 0
	if last {
		delete(watches.dirs, d.key)
	}
	watches.Unlock()
	if !last {
		return nil
	}
	err := d.fsw.Close()
	<-d.done
	return err
}

// dispatch hands each event to the Watchers that asked for its file. It
// runs until the OS watch is closed.
func (d *dirWatch) dispatch() {
	defer close(d.done)
	for {
		select {
		case ev, ok := <-d.fsw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Chmod) {
				continue // a chmod changes no content
			}
			name := filepath.Base(ev.Name)
			watches.Lock()
			for w := range d.subs {
				if w.names[name] {
					w.mark(name)
				}
			}
			watches.Unlock()
		case _, ok := <-d.fsw.Errors:
			if !ok {
				return
			}
			// An overflow loses events: report every file as changed, so
			// nothing a Watcher watches is missed.
			watches.Lock()
			for w := range d.subs {
				for n := range w.names {
					w.mark(n)
				}
			}
			watches.Unlock()
		}
	}
}
