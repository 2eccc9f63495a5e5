// Package proctree starts a program so that everything it spawns can be
// stopped with it: its children, their children, and so on.
//
// A remediation command is often a script that starts other programs. When
// the engineer cancels the run, or it times out, stopping only the script
// would leave those programs running (and holding the output pipe open), so
// the whole tree has to go:
//
//   - On Unix the program is started in a new process group (Setpgid), so a
//     signal to the group reaches every descendant that did not move itself to
//     another group or session (a daemon that calls setsid escapes).
//   - On Windows the program is started suspended, put in a job object, and
//     only then resumed, so it cannot start anything before it is in the job.
//     Every process it starts is in the job too, and the job is created with
//     JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE without BREAKAWAY_OK, so no
//     descendant can leave it, and if ipfwatch itself dies the system closes
//     the job's handle and ends the tree.
//
// The caller keeps owning the *exec.Cmd: it waits for it (cmd.Wait) as usual
// and calls Close once it no longer needs the tree.
package proctree

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

// pollInterval is how often Stop looks whether the tree has ended during its
// grace period.
const pollInterval = 20 * time.Millisecond

// Start starts cmd (it must not have been started) as the root of a tree that
// Terminate and Kill stop as a whole. It adds what it needs to
// cmd.SysProcAttr and keeps the fields the caller set. If Start fails the
// program is not running.
func Start(cmd *exec.Cmd) (*Tree, error) {
	if cmd.Process != nil {
		return nil, errors.New("proctree: command already started")
	}
	return start(cmd)
}

// Stop ends the tree: Terminate, then up to grace for every process in it to
// end, then Kill whatever is left. It returns once Kill was sent; the caller's
// cmd.Wait then returns promptly. The main program is killed in any case, so
// that a program that left the tree cannot keep cmd.Wait waiting forever.
func (t *Tree) Stop(grace time.Duration) error {
	terr := t.Terminate()
	deadline := time.Now().Add(grace)
	for t.Alive() && time.Now().Before(deadline) {
		time.Sleep(pollInterval)
	}
	return errors.Join(terr, t.Kill())
}

// killMain kills the tree's main program directly, for when the group or job
// cannot reach it. One that has already ended is not an error.
func killMain(p *os.Process) error {
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
