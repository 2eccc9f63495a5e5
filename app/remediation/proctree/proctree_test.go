package proctree

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/testdir"
)

// The test binary doubles as the programs of the trees under test: with
// roleEnv set it plays that role instead of running tests.
const (
	roleEnv    = "PROCTREE_TEST_ROLE"
	pidDirEnv  = "PROCTREE_TEST_PIDDIR"
	child      = "child"      // starts a grandchild, then waits; SIGTERM ends it
	grandchild = "grandchild" // ignores SIGTERM, then waits
	quick      = "quick"      // exits at once
)

// helperLifetime bounds how long a helper waits, so that none outlives a
// failed test by long.
const helperLifetime = 2 * time.Minute

// eventually is how long a test waits for something that should happen
// promptly (a pid file, a process ending). It only bounds a failing test;
// wine starts a process in about a second.
const eventually = 60 * time.Second

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case child:
		runChild()
	case grandchild:
		runGrandchild()
	case quick:
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild starts a grandchild the ordinary way (os/exec, nothing special),
// so the grandchild is in the tree only because the child is, writes its own
// pid and waits.
func runChild() {
	dir := os.Getenv(pidDirEnv)
	gc := exec.Command(os.Args[0])
	gc.Env = append(os.Environ(), roleEnv+"="+grandchild)
	if err := gc.Start(); err != nil {
		os.Exit(3)
	}
	writePID(dir, child)
	time.Sleep(helperLifetime)
	os.Exit(0)
}

// runGrandchild ignores SIGTERM before it says it is there, so Terminate
// alone cannot end it on Unix.
func runGrandchild() {
	signal.Ignore(syscall.SIGTERM)
	writePID(os.Getenv(pidDirEnv), grandchild)
	time.Sleep(helperLifetime)
	os.Exit(0)
}

// writePID writes this process's pid to dir/role, atomically so the test
// never reads half of it.
func writePID(dir, role string) {
	tmp := filepath.Join(dir, role+".tmp")
	if os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o600) != nil || os.Rename(tmp, filepath.Join(dir, role)) != nil {
		os.Exit(4)
	}
}

// startTree starts a child that starts a grandchild, and returns the tree
// and both pids once both processes run.
func startTree(t *testing.T) (tree *Tree, cmd *exec.Cmd, pids map[string]int) {
	t.Helper()
	dir := testdir.New(t)
	cmd = exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"="+child, pidDirEnv+"="+dir)
	tree, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Whatever a failed test leaves is stopped here, also when the
		// tree does not hold its own main program.
		tree.Kill()
		tree.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	pids = map[string]int{}
	deadline := time.Now().Add(eventually)
	for _, role := range []string{child, grandchild} {
		for {
			b, err := os.ReadFile(filepath.Join(dir, role))
			if err == nil {
				pids[role], err = strconv.Atoi(string(b))
				if err != nil {
					t.Fatalf("%s pid file: %v", role, err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the %s never wrote its pid", role)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for role, pid := range pids {
		if gone(pid) {
			t.Fatalf("%s %d is not running right after it started", role, pid)
		}
	}
	if !tree.Alive() {
		t.Fatal("Alive is false while child and grandchild run")
	}
	return tree, cmd, pids
}

// waitGone waits until pid no longer runs.
func waitGone(t *testing.T, what string, pid int) {
	t.Helper()
	deadline := time.Now().Add(eventually)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s %d still runs", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitNotAlive waits until the tree reports no process left.
func waitNotAlive(t *testing.T, tree *Tree) {
	t.Helper()
	deadline := time.Now().Add(eventually)
	for tree.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("Alive still true after the whole tree ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStopsWholeTree: however the tree is stopped, the child and the
// grandchild (which ignores SIGTERM) both end, the main program's Wait
// returns, and Alive turns false.
func TestStopsWholeTree(t *testing.T) {
	cases := []struct {
		name string
		stop func(*Tree) error
	}{
		{"Kill", (*Tree).Kill},
		{"Stop after a grace period", func(tr *Tree) error { return tr.Stop(300 * time.Millisecond) }},
		{"Stop with no grace", func(tr *Tree) error { return tr.Stop(0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree, cmd, pids := startTree(t)
			if err := c.stop(tree); err != nil {
				t.Fatalf("stop: %v", err)
			}
			if err := cmd.Wait(); err == nil {
				t.Error("the child exited successfully after being stopped")
			}
			waitGone(t, "child", pids[child])
			waitGone(t, "grandchild", pids[grandchild])
			waitNotAlive(t, tree)
			if err := tree.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestTerminate: on Unix Terminate is a SIGTERM the grandchild ignores, so
// it keeps the tree alive until Kill; on Windows Terminate ends the job.
func TestTerminate(t *testing.T) {
	tree, cmd, pids := startTree(t)
	if err := tree.Terminate(); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("the child exited successfully after Terminate")
	}
	waitGone(t, "child", pids[child])
	if terminateIgnorable {
		// The grandchild ignored SIGTERM before it wrote its pid, so this
		// holds however long one waits.
		if gone(pids[grandchild]) || !tree.Alive() {
			t.Fatal("the grandchild, which ignores SIGTERM, ended on Terminate")
		}
		if err := tree.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
	}
	waitGone(t, "grandchild", pids[grandchild])
	waitNotAlive(t, tree)
}

// TestEndsOnItsOwn: a program that exits by itself leaves a tree that is
// not alive, and stopping it then is harmless.
func TestEndsOnItsOwn(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"="+quick)
	tree, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("quick helper: %v", err)
	}
	waitNotAlive(t, tree)
	if err := tree.Stop(time.Second); err != nil {
		t.Errorf("Stop after the program ended: %v", err)
	}
	if err := tree.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if tree.Alive() {
		t.Error("Alive after Close")
	}
	if err := tree.Kill(); err != nil {
		t.Errorf("Kill after Close: %v", err)
	}
}

// TestStartRefuses: a program that cannot start gives the error that says
// why, and a command cannot be started twice.
func TestStartRefuses(t *testing.T) {
	missing := filepath.Join(testdir.New(t), "no-such-program")
	// Unix reports ENOENT from exec; Windows finds nothing to run when it
	// looks for the program with its executable extensions.
	_, err := Start(exec.Command(missing))
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "no-such-program") {
		t.Errorf("missing program: %v, want a not-found error naming it", err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"="+quick)
	tree, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	defer cmd.Wait()
	if _, err := Start(cmd); err == nil {
		t.Error("a started command was started again")
	}
}
