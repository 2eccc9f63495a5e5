package remediation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/remediation/proctree"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// Cancel stops a run. A queued run is cancelled at once. A running one is
// marked cancelling and its whole process tree is sent SIGTERM, then SIGKILL
// after the grace period; if another process is the runner it does this
// within a second of seeing the mark. The run ends as cancelled (or with its
// real outcome, if it finished first).
func (m *Manager) Cancel(runID int64) error {
	queued, proposalID, err := m.st.CancelRun(context.Background(), runID, m.now())
	if err != nil {
		return err
	}
	m.log.Info("remediation cancel requested", "run", runID, "queued", queued)
	m.kickOthers()
	if !queued {
		m.mu.Lock()
		x := m.active[runID]
		m.mu.Unlock()
		if x != nil {
			x.stop(store.StateCancelled)
		}
	}
	m.emit(Change{Kind: ChangeRun, ProposalID: proposalID, RunID: runID})
	return nil
}

// outcome is how a run ended.
type outcome struct {
	state string
	exit  *int
	err   string
}

// execute runs a claimed, registered run to its end and records it.
func (m *Manager) execute(x *execution, spec store.RunSpec) outcome {
	m.launched.Add(1)
	m.log.Info("run started", "run", spec.RunID, "rule", spec.Rule, "argv", spec.Argv)
	o := m.runProcess(x, spec)
	m.finish(x, spec, o)
	return o
}

// runProcess starts the program and waits for it, stopping the whole process
// tree on timeout, cancel or Close.
func (m *Manager) runProcess(x *execution, spec store.RunSpec) outcome {
	select {
	case <-x.stopCh:
		return outcome{state: x.reason, err: "stopped before it started"}
	default:
	}
	ctx := context.Background()
	ev, err := m.event(ctx, spec.EventID)
	if err != nil {
		return outcome{state: store.StateFailed, err: fmt.Sprintf("load event %d: %v", spec.EventID, err)}
	}
	evFile, err := writePrivateTemp("ipfwatch-event-*.json", ev.Body)
	if err != nil {
		return outcome{state: store.StateFailed, err: err.Error()}
	}
	defer os.Remove(evFile)
	var rowsFile string
	if spec.Check != nil {
		rows := spec.Check.Rows
		if len(rows) == 0 {
			rows = []byte("[]")
		}
		if rowsFile, err = writePrivateTemp("ipfwatch-check-rows-*.json", rows); err != nil {
			return outcome{state: store.StateFailed, err: err.Error()}
		}
		defer os.Remove(rowsFile)
	}

	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = spec.Workdir
	cmd.Env = childEnv(spec.Env, ev, evFile, spec.Check, rowsFile)
	cmd.Stdout, cmd.Stderr = x, x // the same writer: one pipe, order kept
	cmd.WaitDelay = m.drain       // a background process holding the pipe must not hold the run open
	tree, err := proctree.Start(cmd)
	if err != nil {
		msg := fmt.Sprintf("could not start %s: %v", spec.Argv[0], err)
		x.Write([]byte("ipfwatch: " + msg + "\n"))
		return outcome{state: store.StateFailed, err: msg}
	}
	// On Windows closing the tree's job ends whatever the program left
	// running; on Unix such background processes outlive the run.
	defer tree.Close()
	m.recordPID(spec, cmd.Process.Pid)

	waitCh := make(chan error, 1)
	go func() { waitCh <- cmd.Wait() }()
	timeout := time.NewTimer(spec.Timeout)
	defer timeout.Stop()
	flush := time.NewTicker(m.flushEvery)
	defer flush.Stop()
	timeoutC, stopC := timeout.C, x.stopCh
	var why string
	var killed <-chan struct{}
	kill := func(reason string) {
		why = reason
		timeoutC, stopC = nil, nil
		killed = m.terminate(tree, spec.RunID)
	}
	for {
		select {
		case werr := <-waitCh:
			if killed != nil {
				<-killed
			}
			if errors.Is(werr, exec.ErrWaitDelay) {
				m.log.Warn("a background process kept the output open after the program exited; capture stopped", "run", spec.RunID)
			}
			return result(cmd.ProcessState, why, spec.Timeout)
		case <-flush.C:
			m.flushOutput(x)
			if stopC != nil && m.cancelRequested(spec.RunID) {
				x.stop(store.StateCancelled)
			}
		case <-timeoutC:
			m.log.Warn("run timed out; stopping its process group", "run", spec.RunID, "timeout", spec.Timeout)
			kill(store.StateTimedOut)
		case <-stopC:
			m.log.Info("stopping run", "run", spec.RunID, "as", x.reason)
			kill(x.reason)
		}
	}
}

// result turns how the process ended into the run's outcome.
func result(ps *os.ProcessState, why string, timeout time.Duration) outcome {
	var o outcome
	if code := ps.ExitCode(); code >= 0 {
		o.exit = &code
	}
	switch {
	case why == store.StateTimedOut:
		o.state, o.err = store.StateTimedOut, "timed out after "+config.FormatDuration(timeout)
	case why == store.StateCancelled:
		o.state, o.err = store.StateCancelled, "cancelled"
	case why == store.StateInterrupted:
		o.state, o.err = store.StateInterrupted, "ipfwatch quit during the run"
	case ps.Success():
		o.state = store.StateSucceeded
	default:
		o.state = store.StateFailed
		if o.exit == nil {
			o.err = ps.String() // e.g. "signal: killed"
		}
	}
	return o
}

// terminate stops the program's whole process tree (SIGTERM to its process
// group, SIGKILL once the group is empty or Grace has passed; on Windows its
// job object is terminated). Stop kills the program itself in any case, so
// the run ends even if the tree could not be signalled. The channel closes
// when done.
func (m *Manager) terminate(tree *proctree.Tree, runID int64) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := tree.Stop(m.o.Grace); err != nil {
			m.log.Warn("stop the run's process tree", "run", runID, "err", err)
		}
	}()
	return done
}

// cancelRequested reports whether Cancel (possibly from another process)
// marked the run cancelling.
func (m *Manager) cancelRequested(runID int64) bool {
	state, err := m.st.RunState(context.Background(), runID)
	return err == nil && state == store.StateCancelling
}

func (m *Manager) recordPID(spec store.RunSpec, pid int) {
	if err := m.st.SetRunPID(context.Background(), spec.RunID, pid); err != nil {
		m.log.Error("record pid", "run", spec.RunID, "err", err)
	}
	m.emit(Change{Kind: ChangeRun, ProposalID: spec.ProposalID, RunID: spec.RunID})
}

// flushOutput stores the output captured so far, if it changed.
func (m *Manager) flushOutput(x *execution) {
	out, trunc, changed := x.takeDirty()
	if !changed {
		return
	}
	err := m.st.SaveRunOutput(context.Background(), x.runID, out, trunc)
	if err != nil {
		m.log.Error("store run output", "run", x.runID, "err", err)
		return
	}
	m.emit(Change{Kind: ChangeOutput, ProposalID: x.proposalID, RunID: x.runID})
}

// finish records the end of a run, then releases its subscribers and
// notifies. x is nil for a run that never executed here.
func (m *Manager) finish(x *execution, spec store.RunSpec, o outcome) {
	var out []byte
	var trunc bool
	if x != nil {
		out, trunc, _ = x.snapshot()
	}
	if out == nil {
		out = []byte{}
	}
	var exit any
	if o.exit != nil {
		exit = *o.exit
	}
	err := m.st.FinishRun(context.Background(), spec.RunID, store.RunEnd{
		State: o.state, ExitCode: o.exit, Output: out, Truncated: trunc, Error: o.err,
	}, m.now())
	if err != nil {
		m.log.Error("record end of run", "run", spec.RunID, "state", o.state, "err", err)
	}
	if x != nil {
		x.end()
		m.mu.Lock()
		delete(m.active, spec.RunID)
		m.mu.Unlock()
		m.Wake() // a slot is free for a queued run
	}
	m.log.Info("run ended", "run", spec.RunID, "rule", spec.Rule, "state", o.state, "exit", exit, "error", o.err)
	m.emit(Change{Kind: ChangeRun, ProposalID: spec.ProposalID, RunID: spec.RunID})
	m.emit(Change{Kind: ChangeProposal, ProposalID: spec.ProposalID, RunID: spec.RunID})
	switch o.state {
	case store.StateSucceeded, store.StateFailed, store.StateTimedOut:
		m.post(notify.Notification{
			Kind:   notify.RunEnded,
			Title:  fmt.Sprintf("Remediation '%s' %s", spec.Rule, describe(o)),
			Body:   fmt.Sprintf("Run %d of proposal %d.", spec.RunID, spec.ProposalID),
			Urgent: o.state != store.StateSucceeded,
		})
	}
}

// writePrivateTemp stores data for a run's program in a temporary file
// readable only by this user (os.CreateTemp creates it 0600): the raw event
// body, the failing rows of an intent check. The caller removes it when the
// run ends.
func writePrivateTemp(pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", pattern, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", f.Name(), werr)
	}
	return f.Name(), nil
}
