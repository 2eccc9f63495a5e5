package instance

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// childEnv makes the test binary a helper process that owns the data
// directory it names, says "ready", reports each raise as "raised", and
// releases on end of input or when killed.
const childEnv = "IPFWATCH_INSTANCE_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(child(dir))
	}
	goleak.VerifyTestMain(m)
}

func child(dir string) int {
	in, err := Acquire(dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	go func() {
		for range in.Raised() {
			fmt.Println("raised")
		}
	}()
	bufio.NewReader(os.Stdin).ReadString('\n')
	in.Close()
	return 0
}

// startChild starts a helper owning dir and waits for it to say so.
func startChild(t *testing.T, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	out := bufio.NewScanner(stdout)
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("child: %q %v", out.Text(), out.Err())
	}
	return cmd, out
}

func mustAcquire(t *testing.T, dir string) *Instance {
	t.Helper()
	in, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// received waits for a raise to reach in (the raise is already answered
// "ok" when Raise returns, so it is in the channel by then).
func received(in *Instance) bool {
	select {
	case _, ok := <-in.Raised():
		return ok
	default:
		return false
	}
}

func TestSecondAcquireInProcess(t *testing.T) {
	dir := t.TempDir()
	in := mustAcquire(t, dir)
	_, err := Acquire(dir)
	var re *RunningError
	if !errors.As(err, &re) || !errors.Is(err, ErrRunning) || re.PID != os.Getpid() || re.DataDir != dir {
		t.Fatalf("second Acquire: %v (%+v)", err, re)
	}
	if want := fmt.Sprintf("already running (pid %d) for %s", os.Getpid(), dir); err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// Another directory is independent.
	mustAcquire(t, t.TempDir())
	in.Close()
	mustAcquire(t, dir)
}

func TestRaiseReachesOwner(t *testing.T) {
	dir := t.TempDir()
	in := mustAcquire(t, dir)
	if got, want := in.Addr(), "unix:"+filepath.Join(dir, SocketName); got != want && !strings.HasPrefix(got, "tcp:127.0.0.1:") {
		t.Errorf("Addr %q, want %q", got, want)
	}
	if err := Raise(dir); err != nil {
		t.Fatal(err)
	}
	if !received(in) {
		t.Fatal("the raise did not arrive")
	}
	// Raises not yet received are merged, not queued or blocking.
	for range 3 {
		if err := Raise(dir); err != nil {
			t.Fatal(err)
		}
	}
	if !received(in) || received(in) {
		t.Error("three unread raises should read as one")
	}
}

// TestHeadless: `ipfwatch serve` owns the directory without listening; a
// tray app started beside it learns that there is no window to show.
func TestHeadless(t *testing.T) {
	dir := t.TempDir()
	in, err := AcquireHeadless(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Addr() != "" {
		t.Errorf("headless Addr %q", in.Addr())
	}
	_, err = Acquire(dir)
	var re *RunningError
	if !errors.As(err, &re) || !re.Headless || re.PID != os.Getpid() {
		t.Fatalf("Acquire beside serve: %v", err)
	}
	if want := fmt.Sprintf("ipfwatch serve already running (pid %d) for %s", os.Getpid(), dir); err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if _, err := AcquireHeadless(dir); !errors.Is(err, ErrRunning) {
		t.Errorf("second serve: %v", err)
	}
	if err := Raise(dir); !errors.Is(err, ErrHeadless) {
		t.Errorf("Raise: %v, want ErrHeadless", err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-in.Raised(); ok {
		t.Error("Raised not closed")
	}
	if err := Raise(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Raise after Close: %v", err)
	}
	mustAcquire(t, dir)
}

func TestRaiseWithoutOwner(t *testing.T) {
	dir := t.TempDir()
	if err := Raise(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no lock file: %v", err)
	}
	in := mustAcquire(t, dir)
	in.Close()
	if err := Raise(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("after Close: %v", err)
	}
}

// TestOtherProcess: a child owns the directory; this process sees its
// pid, raises its window, and after the child is killed (no Close, the
// lock file and socket left behind) owns the directory itself.
func TestOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startChild(t, dir)

	_, err := Acquire(dir)
	var re *RunningError
	if !errors.As(err, &re) || re.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while the child holds it: %v, want pid %d", err, cmd.Process.Pid)
	}
	if err := Raise(dir); err != nil {
		t.Fatal(err)
	}
	if !out.Scan() || out.Text() != "raised" {
		t.Fatalf("child said %q, want raised", out.Text())
	}

	cmd.Process.Kill()
	cmd.Wait()
	if err := Raise(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Raise to a dead owner: %v", err)
	}
	in := mustAcquire(t, dir)
	if err := Raise(dir); err != nil || !received(in) {
		t.Errorf("Raise to the new owner: %v", err)
	}
}

// TestCloseReleases: after Close the directory is free to another
// process, the socket is gone, and the lock file holds no stale address.
func TestCloseReleases(t *testing.T) {
	dir := t.TempDir()
	in := mustAcquire(t, dir)
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, ok := <-in.Raised(); ok {
		t.Error("Raised not closed")
	}
	if _, err := os.Stat(filepath.Join(dir, SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, LockName)); len(data) != 0 {
		t.Errorf("lock file still says %q", data)
	}
	cmd, _ := startChild(t, dir)
	if _, err := Acquire(dir); !errors.Is(err, ErrRunning) {
		t.Errorf("child %d should own it: %v", cmd.Process.Pid, err)
	}
}

// TestBadRequests: a wrong token is denied and raises nothing; a client
// that connects and says nothing neither blocks the next request nor Close.
func TestBadRequests(t *testing.T) {
	dir := t.TempDir()
	in := mustAcquire(t, dir)
	network, address, _ := strings.Cut(in.Addr(), ":")
	for _, req := range []string{"show 00\n", "show\n", "hello " + in.token + "\n", strings.Repeat("x", 1000) + "\n"} {
		c, err := net.Dial(network, address)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(c, req)
		reply, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if reply == "ok\n" {
			t.Errorf("%.20q answered ok", req)
		}
	}
	if received(in) {
		t.Error("a bad request raised the window")
	}

	silent, err := net.Dial(network, address)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if err := Raise(dir); err != nil {
		t.Errorf("Raise behind a silent client: %v", err)
	}
	silent2, _ := net.Dial(network, address)
	defer silent2.Close()
	done := make(chan error)
	go func() { done <- in.Close() }()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// TestRaiseTimesOut: an address that accepts but never answers (an owner
// hung, or a port since taken by another program) fails Raise instead of
// hanging it.
func TestRaiseTimesOut(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	os.WriteFile(filepath.Join(dir, LockName), []byte("pid 1\naddr tcp:"+ln.Addr().String()+"\ntoken ab\n"), 0o600)
	if err := Raise(dir); err == nil || errors.Is(err, ErrNotRunning) {
		t.Errorf("Raise to a mute listener: %v", err)
	}
}
