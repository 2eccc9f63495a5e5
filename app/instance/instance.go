// Package instance keeps one ipfwatch serving per data directory, and lets
// a second start of the tray app ask the running one to show its window
// instead of failing quietly.
//
// The owner holds an exclusive lock on <data-dir>/instance.lock (flock on
// Unix, a handle no one else may open for writing on Windows): the lock
// goes with the process, so a crashed owner leaves nothing to clean up. The
// file holds the owner's pid, the address it listens on for raise requests
// and a random token a request must carry:
//
//	pid 12345
//	addr unix:/home/ana/.config/fyne/io.github.ipfwatch/instance.sock
//	token 3f0c...
//
// On Unix the address is a socket in the data directory, or, where that
// path would be longer than a socket address can hold (about 104 bytes),
// one named by a hash of the data directory in $XDG_RUNTIME_DIR or else in
// a private (0700) ipfwatch-<uid> directory under os.TempDir(). On Windows
// it is a loopback TCP port. The token keeps other local programs (any
// user can connect to a loopback port) from raising the window.
//
// Only `ipfwatch serve` and the tray app take the lock; the commands that
// read or change the database (log, proposals, approve...) do not.
package instance

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfwatch/ipfwatch/app/lockfile"
)

// LockName is the lock file's name in the data directory.
const LockName = "instance.lock"

// SocketName is the Unix socket's name in the data directory (when its
// path fits a socket address).
const SocketName = "instance.sock"

// ErrRunning is what a RunningError is (errors.Is).
var ErrRunning = errors.New("already running")

// ErrNotRunning is returned by Raise when no instance owns the directory.
var ErrNotRunning = errors.New("ipfwatch is not running")

// ErrHeadless is returned by Raise when the owner is `ipfwatch serve`,
// which has no window to show.
var ErrHeadless = errors.New("ipfwatch runs headless (ipfwatch serve): it has no window to show")

// RunningError is Acquire's answer when another instance owns the data
// directory.
type RunningError struct {
	// PID is the owner's process id; 0 if it has not written it yet.
	PID int
	// DataDir is the directory it owns.
	DataDir string
	// Headless is whether the owner is `ipfwatch serve`.
	Headless bool
}

func (e *RunningError) Error() string {
	what := "already running"
	if e.Headless {
		what = "ipfwatch serve already running"
	}
	if e.PID == 0 {
		return fmt.Sprintf("%s for %s", what, e.DataDir)
	}
	return fmt.Sprintf("%s (pid %d) for %s", what, e.PID, e.DataDir)
}

// Is makes errors.Is(err, ErrRunning) true.
func (e *RunningError) Is(target error) bool { return target == ErrRunning }

// Instance is this process's ownership of a data directory. Close gives
// it up.
type Instance struct {
	dataDir string
	lock    *os.File
	ln      net.Listener
	addr    string
	token   string
	raised  chan struct{}
	done    sync.WaitGroup // serve and the requests it answers

	mu      sync.Mutex
	conns   map[net.Conn]bool // requests being answered, closed by Close
	closing bool
}

// Acquire makes this process, the tray app, the owner of dataDir (created
// if missing) and listens for Raise; or returns a *RunningError naming the
// owner.
func Acquire(dataDir string) (*Instance, error) { return acquire(dataDir, false) }

// AcquireHeadless is Acquire for `ipfwatch serve`: it does not listen, and
// Raise tells a tray app started beside it that there is no window
// (ErrHeadless) rather than pretend to show one.
func AcquireHeadless(dataDir string) (*Instance, error) { return acquire(dataDir, true) }

func acquire(dataDir string, headless bool) (*Instance, error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	path := filepath.Join(dir, LockName)
	f, ok, err := lockfile.Take(path, true) // readable: Raise reads the pid and address
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	if !ok {
		info, _ := readInfo(path)
		return nil, &RunningError{PID: info.pid, DataDir: dir, Headless: info.headless}
	}
	in := &Instance{dataDir: dir, lock: f, raised: make(chan struct{}, 1), conns: map[net.Conn]bool{}}
	if headless {
		if err := writeLocked(f, fmt.Sprintf("pid %d\nmode headless\n", os.Getpid())); err != nil {
			f.Close()
			return nil, fmt.Errorf("instance: write %s: %w", path, err)
		}
		return in, nil
	}
	if err := in.start(); err != nil {
		f.Close()
		return nil, err
	}
	return in, nil
}

// start listens and writes the lock file's contents.
func (in *Instance) start() error {
	ln, addr, err := listen(in.dataDir)
	if err != nil {
		return fmt.Errorf("instance: listen: %w", err)
	}
	tok := make([]byte, 16)
	rand.Read(tok) // never fails (crypto/rand panics rather)
	in.ln, in.addr, in.token = ln, addr, hex.EncodeToString(tok)
	content := fmt.Sprintf("pid %d\naddr %s\ntoken %s\n", os.Getpid(), addr, in.token)
	if err := writeLocked(in.lock, content); err != nil {
		ln.Close()
		return fmt.Errorf("instance: write %s: %w", in.lock.Name(), err)
	}
	in.done.Add(1)
	go in.serve()
	return nil
}

// DataDir is the (absolute) directory this instance owns.
func (in *Instance) DataDir() string { return in.dataDir }

// Addr is where raise requests arrive ("unix:/path" or
// "tcp:127.0.0.1:port"); "" for a headless instance.
func (in *Instance) Addr() string { return in.addr }

// Raised delivers a value when another start of ipfwatch asks this one to
// show its window (never, for a headless instance). Requests that arrive
// before the last is received are merged. The channel is closed by Close.
func (in *Instance) Raised() <-chan struct{} { return in.raised }

// Close stops listening, waits for its goroutines and releases the lock
// (the lock file stays, empty: removing it would let two processes lock
// different files of the same name). Calling it again does nothing.
func (in *Instance) Close() error {
	in.mu.Lock()
	if in.closing {
		in.mu.Unlock()
		return nil
	}
	in.closing = true
	for c := range in.conns {
		c.Close()
	}
	in.mu.Unlock()
	var err error
	if in.ln != nil {
		err = in.ln.Close() // also removes a Unix socket file
	}
	in.done.Wait()
	close(in.raised)
	if terr := in.lock.Truncate(0); terr != nil && err == nil {
		err = terr
	}
	if cerr := in.lock.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("instance: close: %w", err)
	}
	return nil
}

// requestTimeout bounds one raise request, so a client that connects and
// says nothing cannot hold the listener.
const requestTimeout = 2 * time.Second

// serve accepts raise requests until Close, answering each on its own
// goroutine so that a client that says nothing delays no other.
func (in *Instance) serve() {
	defer in.done.Done()
	for {
		c, err := in.ln.Accept()
		in.mu.Lock()
		closing := in.closing
		if err == nil && !closing {
			in.conns[c] = true
			in.done.Add(1)
		}
		in.mu.Unlock()
		switch {
		case closing:
			if c != nil {
				c.Close()
			}
			return
		case errors.Is(err, net.ErrClosed):
			return
		case err != nil:
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		go func() {
			defer in.done.Done()
			in.answer(c)
			in.mu.Lock()
			delete(in.conns, c)
			in.mu.Unlock()
			c.Close()
		}()
	}
}

// answer reads one "show <token>" line and replies "ok" or "denied".
func (in *Instance) answer(c net.Conn) {
	c.SetDeadline(time.Now().Add(requestTimeout))
	line, err := bufio.NewReader(io.LimitReader(c, 256)).ReadString('\n')
	if err != nil {
		return
	}
	verb, tok, _ := strings.Cut(strings.TrimSpace(line), " ")
	if verb != "show" || subtle.ConstantTimeCompare([]byte(tok), []byte(in.token)) != 1 {
		c.Write([]byte("denied\n"))
		return
	}
	select {
	case in.raised <- struct{}{}:
	default: // one is pending already
	}
	c.Write([]byte("ok\n"))
}

// Raise asks the instance that owns dataDir to show its window. It returns
// ErrNotRunning (wrapped) if there is none, and ErrHeadless if the owner
// is `ipfwatch serve`. It trusts what the lock file says, taking no lock
// itself (that could make an Acquire at the same moment fail): call it
// after Acquire returned a RunningError. A tray owner that died is
// detected (nothing answers); a headless one that died, not.
func Raise(dataDir string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	info, err := readInfo(filepath.Join(dir, LockName))
	if errors.Is(err, os.ErrNotExist) || err == nil && info.addr == "" && !info.headless {
		return fmt.Errorf("%w for %s", ErrNotRunning, dir)
	}
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	if info.headless {
		return fmt.Errorf("%w (pid %d)", ErrHeadless, info.pid)
	}
	network, address, _ := strings.Cut(info.addr, ":")
	c, err := net.DialTimeout(network, address, requestTimeout)
	if err != nil {
		// The owner died and left its address behind.
		return fmt.Errorf("%w for %s (%v)", ErrNotRunning, dir, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(requestTimeout))
	if _, err := c.Write([]byte("show " + info.token + "\n")); err != nil {
		return fmt.Errorf("instance: raise: %w", err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("instance: raise: no answer from %s: %w", info.addr, err)
	}
	if strings.TrimSpace(reply) != "ok" {
		return fmt.Errorf("instance: raise: %s answered %q", info.addr, strings.TrimSpace(reply))
	}
	return nil
}

// info is the lock file's contents.
type info struct {
	pid         int
	addr, token string
	headless    bool
}

func readInfo(path string) (info, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return info{}, err
	}
	var i info
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "pid":
			i.pid, _ = strconv.Atoi(v)
		case "addr":
			i.addr = v
		case "token":
			i.token = v
		case "mode":
			i.headless = v == "headless"
		}
	}
	return i, nil
}

// writeLocked replaces the contents of the locked file f.
func writeLocked(f *os.File, content string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		return err
	}
	return f.Sync()
}
