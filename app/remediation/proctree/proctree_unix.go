//go:build unix

package proctree

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// Tree is a started program and every process it started, here its process
// group.
type Tree struct {
	proc *os.Process
	pgid int

	mu     sync.Mutex
	closed bool
}

// start puts the program in a new process group whose id is its pid.
func start(cmd *exec.Cmd) (*Tree, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("proctree: start %s: %w", cmd.Path, err)
	}
	return &Tree{proc: cmd.Process, pgid: cmd.Process.Pid}, nil
}

// signal sends sig to the whole group. A group that is already empty is not
// an error; after Close nothing is sent, since the group id may by then name
// someone else's group.
func (t *Tree) signal(sig syscall.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	if err := syscall.Kill(-t.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("proctree: signal group %d: %w", t.pgid, err)
	}
	return nil
}

// Terminate asks every process of the tree to end: SIGTERM to the group.
// Programs that ignore it keep running until Kill.
func (t *Tree) Terminate() error { return t.signal(syscall.SIGTERM) }

// Kill ends every process of the tree at once: SIGKILL to the group, and to
// the main program itself should it have left the group.
func (t *Tree) Kill() error {
	gerr := t.signal(syscall.SIGKILL)
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil
	}
	return errors.Join(gerr, killMain(t.proc))
}

// Alive reports whether any process of the group still exists (kill -0 on
// the group). The main program counts until its parent has waited for it.
// After Close it reports false: the group can no longer be told apart from
// another one that reuses its id.
func (t *Tree) Alive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	err := syscall.Kill(-t.pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Close forgets the tree. A process group holds no resource, so on Unix
// Close stops nothing: processes still running keep running.
func (t *Tree) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return nil
}
