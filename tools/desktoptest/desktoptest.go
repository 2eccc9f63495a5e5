// Package desktoptest starts a real, private desktop for tests: an Xvfb X
// server, a D-Bus session bus and the dunst notification daemon, plus an
// optional StatusNotifierWatcher so a tray icon has somewhere to register.
// Tests then observe what really reached the desktop (dunst's history, the
// tray item's dbusmenu) instead of trusting a mock.
//
// Every process is started as a child of the test binary, stopped by PID in
// t.Cleanup, and asked to die with the test binary (Pdeathsig) in case the
// test is killed. A missing binary fails the test with the Debian package to
// install; it is never skipped.
//
// Start sets DISPLAY and DBUS_SESSION_BUS_ADDRESS for the whole test process
// with t.Setenv, so it cannot be used from parallel tests.
package desktoptest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Options selects what Start runs besides the session bus, which always runs.
type Options struct {
	// Dunst runs the dunst notification daemon on the bus. It needs an X
	// display, so Dunst implies Xvfb.
	Dunst bool
	// Watcher serves org.kde.StatusNotifierWatcher on the bus so tray icons
	// (fyne.io/systray) register their item with it.
	Watcher bool
	// Xvfb runs a virtual X server and sets DISPLAY to it.
	Xvfb bool
}

// Session is one private desktop. Its processes live until the test that
// started it ends.
type Session struct {
	// Display is the X display (":N"), empty without Xvfb.
	Display string
	// BusAddress is the address of the private session bus.
	BusAddress string

	conn    *dbus.Conn // our own connection to the bus, for queries
	watcher *watcher   // nil without Options.Watcher
}

// How long Start waits for each program to come up. Generous because the
// machines running tests are small and shared.
const startTimeout = 20 * time.Second

// NotificationsName is the bus name a notification daemon owns.
const NotificationsName = "org.freedesktop.Notifications"

// Start runs the desktop described by opts and returns once it is usable:
// the bus answers, Xvfb accepts the display, dunst owns
// org.freedesktop.Notifications and the watcher owns its name. Failures are
// fatal to the test.
func Start(t testing.TB, opts Options) *Session {
	t.Helper()
	if opts.Dunst {
		opts.Xvfb = true
	}
	for _, need := range required(opts) {
		if _, err := exec.LookPath(need.bin); err != nil {
			t.Fatalf("desktoptest: %s not found in PATH: install the Debian package %s (apt-get install %s)", need.bin, need.pkg, need.pkg)
		}
	}

	s := &Session{}
	s.BusAddress = startBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", s.BusAddress)

	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		t.Fatalf("desktoptest: connecting to the private bus %s: %v", s.BusAddress, err)
	}
	s.conn = conn
	t.Cleanup(func() { conn.Close() })

	if opts.Xvfb {
		s.Display = startXvfb(t)
		t.Setenv("DISPLAY", s.Display)
		// A Wayland session of the engineer running the tests must not
		// receive windows or notifications meant for Xvfb.
		t.Setenv("WAYLAND_DISPLAY", "")
		os.Unsetenv("WAYLAND_DISPLAY")
	}
	if opts.Dunst {
		p := startDunst(t)
		if err := s.waitName(NotificationsName, p); err != nil {
			t.Fatalf("desktoptest: dunst: %v", err)
		}
	}
	if opts.Watcher {
		w, err := serveWatcher(s.BusAddress)
		if err != nil {
			t.Fatalf("desktoptest: StatusNotifierWatcher: %v", err)
		}
		s.watcher = w
		t.Cleanup(w.close)
	}
	return s
}

// Conn returns the session's own connection to the private bus, for tests
// that need to make calls of their own.
func (s *Session) Conn() *dbus.Conn { return s.conn }

type requirement struct{ bin, pkg string }

func required(opts Options) []requirement {
	r := []requirement{{"dbus-daemon", "dbus"}}
	if opts.Xvfb {
		r = append(r, requirement{"Xvfb", "xvfb"})
	}
	if opts.Dunst {
		r = append(r, requirement{"dunst", "dunst"})
	}
	return r
}

// busConfig is a session bus without service activation: only what a test
// starts runs on it, never a daemon the bus decided to launch. Its socket
// lives in a directory removed at cleanup.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func startBus(t testing.TB) string {
	t.Helper()
	// Unix socket paths are limited to 108 bytes; t.TempDir can be longer.
	dir, err := os.MkdirTemp("", "desktoptest-bus-")
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, dir), 0o600); err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	p, line := startWithFD(t, "dbus-daemon", "dbus-daemon",
		"--config-file="+conf, "--print-address=3", "--nofork")
	if !strings.HasPrefix(line, "unix:") {
		t.Fatalf("desktoptest: dbus-daemon printed %q, not an address; stderr: %s", line, p.stderr.String())
	}
	return line
}

func startXvfb(t testing.TB) string {
	t.Helper()
	p, line := startWithFD(t, "Xvfb", "Xvfb",
		"-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	for _, r := range line {
		if r < '0' || r > '9' {
			t.Fatalf("desktoptest: Xvfb printed %q, not a display number; stderr: %s", line, p.stderr.String())
		}
	}
	if line == "" {
		t.Fatalf("desktoptest: Xvfb printed no display number; stderr: %s", p.stderr.String())
	}
	return ":" + line
}

// dunstConfig keeps every notification in history and makes dunst's
// formatted message name the urgency, because dunst's history does not carry
// the urgency otherwise. idle_threshold 0: an idle Xvfb must not change how
// notifications behave.
const dunstConfig = `[global]
history_length = 10000
idle_threshold = 0
sticky_history = yes
[urgency_low]
format = "low"
[urgency_normal]
format = "normal"
[urgency_critical]
format = "critical"
`

func startDunst(t testing.TB) *proc {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "dunstrc")
	if err := os.WriteFile(conf, []byte(dunstConfig), 0o600); err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	p, err := startProc(t, "dunst", nil, "-config", conf)
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	return p
}

// waitName waits until name has an owner on the bus, or p exits, or the
// start timeout passes.
func (s *Session) waitName(name string, p *proc) error {
	deadline := time.Now().Add(startTimeout)
	for {
		var has bool
		err := s.conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
		if err != nil {
			return fmt.Errorf("asking the bus whether %s has an owner: %w", name, err)
		}
		if has {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before owning %s: %v; stderr: %s", name, p.err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s has no owner after %v; stderr: %s", name, startTimeout, p.stderr.String())
		}
	}
}

// proc is one child process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, valid after done
}

// startProc starts bin with args and stderr captured, and registers its
// stop in t.Cleanup.
func startProc(t testing.TB, bin string, extra []*os.File, args ...string) (*proc, error) {
	t.Helper()
	p := &proc{name: bin, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	p.cmd.ExtraFiles = extra
	// If the test binary dies without running its cleanups, take the child
	// along instead of leaving it behind.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("desktoptest: %s (pid %d) output:\n%s", p.name, p.cmd.Process.Pid, p.stderr.String())
		}
	})
	return p, nil
}

// startWithFD starts bin with a pipe as fd 3 and returns the first line the
// program writes there (the address or display it chose).
func startWithFD(t testing.TB, bin, pkg string, args ...string) (*proc, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	defer r.Close()
	p, err := startProc(t, bin, []*os.File{w}, args...)
	w.Close() // the child holds its own copy; EOF now means the child is gone
	if err != nil {
		t.Fatalf("desktoptest: %v (Debian package %s)", err, pkg)
	}
	if err := r.SetReadDeadline(time.Now().Add(startTimeout)); err != nil {
		t.Fatalf("desktoptest: %v", err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("desktoptest: reading what %s chose from fd 3: %v; output: %s", bin, err, p.stderr.String())
	}
	return p, strings.TrimSpace(line)
}

// stop sends SIGTERM, then SIGKILL if the process has not exited in time,
// and waits for it.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(3 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// lockedBuffer collects a child's output; the child writes while tests read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer, keeping at most 64 KiB: enough to see why a
// program failed.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 64<<10 {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// errNoWatcher is returned by watcher methods on a session started without
// Options.Watcher.
var errNoWatcher = errors.New("desktoptest: session started without Options.Watcher")

// WindowViewable reports whether the session's X server shows a top-level
// window named name (xwininfo, from x11-utils): mapped, and so on screen.
func (s *Session) WindowViewable(name string) bool {
	cmd := exec.Command("xwininfo", "-name", name)
	cmd.Env = append(os.Environ(), "DISPLAY="+s.Display)
	out, err := cmd.Output()
	return err == nil && strings.Contains(string(out), "Map State: IsViewable")
}
