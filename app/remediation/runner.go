package remediation

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/remediation/proctree"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// subscriberBuffer is how many output chunks a subscriber may fall behind
// before it is dropped (its channel closed; Run has the rest).
const subscriberBuffer = 256

// runSpec is what a claimed run needs to execute: the frozen proposal.
type runSpec struct {
	runID, proposalID, eventID int64
	rule                       string
	argv                       []string
	env                        map[string]string
	workdir                    string
	timeout                    time.Duration
}

// outcome is how a run ended.
type outcome struct {
	state string
	exit  *int
	err   string
}

// execution is a run executing in this process: its captured output, its
// subscribers and the means to stop it.
type execution struct {
	runID, proposalID int64
	rule              string
	limit             int
	marker            []byte
	extra             io.Writer // RunNow's terminal; written uncapped

	stopOnce sync.Once
	stopCh   chan struct{}
	reason   string // the state to end in; written before stopCh is closed

	mu        sync.Mutex
	out       []byte
	truncated bool
	dirty     bool
	ended     bool
	subs      map[int]chan []byte
	nextSub   int
}

// stop asks the execution to end in state reason (cancelled, interrupted).
// The first reason wins.
func (x *execution) stop(reason string) {
	x.stopOnce.Do(func() {
		x.reason = reason
		close(x.stopCh)
	})
}

// Write receives the program's stdout and stderr (one pipe, so their order is
// kept). Output beyond the cap is dropped after a marker, but the pipe keeps
// being drained so the program never blocks on a full pipe.
func (x *execution) Write(p []byte) (int, error) {
	x.mu.Lock()
	if !x.truncated {
		chunk := p
		if room := x.limit - len(x.out); len(p) > room {
			chunk = append(p[:room:room], x.marker...)
			x.truncated = true
		}
		x.out = append(x.out, chunk...)
		x.dirty = true
		if len(x.subs) > 0 {
			c := bytes.Clone(chunk)
			for id, ch := range x.subs {
				select {
				case ch <- c:
				default: // too far behind: drop it rather than block the program
					close(ch)
					delete(x.subs, id)
				}
			}
		}
	}
	x.mu.Unlock()
	if x.extra != nil {
		x.extra.Write(p) // best effort: a closed terminal must not fail the run
	}
	return len(p), nil
}

// snapshot returns a copy of the output so far; ok is false once ended.
func (x *execution) snapshot() (out []byte, truncated, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return bytes.Clone(x.out), x.truncated, !x.ended
}

// takeDirty returns the output if it changed since the last call.
func (x *execution) takeDirty() (out []byte, truncated, changed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.dirty {
		return nil, false, false
	}
	x.dirty = false
	return bytes.Clone(x.out), x.truncated, true
}

// end marks the execution ended and closes every subscriber.
func (x *execution) end() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ended = true
	for id, ch := range x.subs {
		close(ch)
		delete(x.subs, id)
	}
}

func (x *execution) subscribe() (<-chan []byte, func()) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ch := make(chan []byte, subscriberBuffer)
	if x.ended {
		close(ch)
		return ch, func() {}
	}
	if len(x.out) > 0 {
		ch <- bytes.Clone(x.out)
	}
	id := x.nextSub
	x.nextSub++
	x.subs[id] = ch
	return ch, func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		if c, ok := x.subs[id]; ok {
			close(c)
			delete(x.subs, id)
		}
	}
}

// Subscribe streams a run's output while this process executes it. The first
// chunk is everything captured so far, then each new chunk as it arrives. The
// channel is closed when the run ends (after its output is stored, so Run then
// returns all of it), when cancel is called, or if the receiver falls more
// than 256 chunks behind. For a run this process is not executing the channel
// is closed at once: read Run instead, refreshed on ChangeOutput.
func (m *Manager) Subscribe(runID int64) (<-chan []byte, func()) {
	m.mu.Lock()
	x := m.active[runID]
	m.mu.Unlock()
	if x == nil {
		ch := make(chan []byte)
		close(ch)
		return ch, func() {}
	}
	return x.subscribe()
}

func humanSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// register makes a claimed run known as executing here. It refuses (nil)
// once Close has begun.
func (m *Manager) register(spec runSpec, extra io.Writer) *execution {
	x := &execution{
		runID: spec.runID, proposalID: spec.proposalID, rule: spec.rule,
		limit:  m.o.OutputCap,
		marker: []byte(fmt.Sprintf("\n[output truncated at %s]\n", humanSize(m.o.OutputCap))),
		extra:  extra,
		stopCh: make(chan struct{}),
		subs:   map[int]chan []byte{},
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.active[spec.runID] = x
	m.execs.Add(1)
	return x
}

// Start makes this process the runner if no other process is: it takes an
// exclusive lock on DataDir/runner.lock without waiting. As the runner it
// first marks runs a dead runner left running or queued as interrupted
// (nothing is re-run without a new approval; pending proposals stay
// pending), expires overdue proposals, then polls every second (and at once
// after a local approval) for queued runs, including those approved by other
// processes sharing the database, and starts up to MaxConcurrent of them.
//
// If another process holds the lock, Start still returns nil: this process
// creates proposals and takes approvals, the other runs them, and this one
// takes over if the other goes away. In both cases the loop also reloads the
// rules file when it changes and reports changes made by other processes
// through OnChange.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if m.started {
		m.mu.Unlock()
		return errors.New("remediation: already started")
	}
	m.started = true
	m.mu.Unlock()
	if _, err := m.tryBecomeRunner(ctx); err != nil {
		m.mu.Lock()
		m.started = false
		m.mu.Unlock()
		return err
	}
	go m.loop(ctx)
	return nil
}

func (m *Manager) lockPath() string { return filepath.Join(m.o.DataDir, "runner.lock") }

// tryBecomeRunner takes runner.lock if it is free, and then recovers what a
// previous runner left behind.
func (m *Manager) tryBecomeRunner(ctx context.Context) (bool, error) {
	m.lockMu.Lock()
	if m.lock != nil {
		m.lockMu.Unlock()
		return true, nil
	}
	f, ok, err := lockFile(m.lockPath())
	if err != nil {
		m.lockMu.Unlock()
		return false, fmt.Errorf("remediation: runner lock: %w", err)
	}
	if !ok {
		m.lockMu.Unlock()
		return false, nil
	}
	m.lock = f
	// Say who holds it, for an engineer wondering which ipfwatch runs.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	m.lockMu.Unlock()
	m.log.Info("this process runs approved remediations", "lock", m.lockPath())
	if err := m.recoverStale(ctx, true); err != nil {
		m.log.Error("mark interrupted runs", "err", err)
	}
	m.sweepExpired(ctx)
	return true, nil
}

func (m *Manager) isRunner() bool {
	m.lockMu.Lock()
	defer m.lockMu.Unlock()
	return m.lock != nil
}

// RunnerActive reports whether some process (this one or another) holds
// runner.lock, that is, whether an approved run will be started without
// RunNow.
func (m *Manager) RunnerActive() bool {
	if m.isRunner() {
		return true
	}
	held, err := lockHeld(m.lockPath())
	if err != nil {
		m.log.Warn("probe runner lock", "err", err)
	}
	return held
}

// recoverStale marks runs that no live process is executing as interrupted:
// those left running (and, when includeQueued, queued) by a runner that
// crashed or was killed. It must only be called while holding runner.lock.
func (m *Manager) recoverStale(ctx context.Context, includeQueued bool) error {
	states := []any{StateRunning, StateCancelling}
	if includeQueued {
		states = append(states, StateQueued)
	}
	rows, err := m.st.ReadDB().QueryContext(ctx, `SELECT id, proposal_id, state FROM runs
		WHERE state IN (?`+strings.Repeat(", ?", len(states)-1)+`)`, states...)
	if err != nil {
		return err
	}
	type stale struct {
		id, proposal int64
		state        string
	}
	var found []stale
	for rows.Next() {
		var s stale
		if err := rows.Scan(&s.id, &s.proposal, &s.state); err != nil {
			rows.Close()
			return err
		}
		m.mu.Lock()
		_, mine := m.active[s.id]
		m.mu.Unlock()
		if !mine {
			found = append(found, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(found) == 0 {
		return nil
	}
	nowMS := m.now().UnixMilli()
	err = m.st.Write(ctx, func(tx *sql.Tx) error {
		for _, s := range found {
			why := "ipfwatch stopped while this run was in progress; it is not re-run without a new approval"
			if s.state == StateQueued {
				why = "ipfwatch stopped before this run started; it is not run without a new approval"
			}
			res, err := tx.Exec(`UPDATE runs SET state = ?, ended_at = ?, error = ? WHERE id = ? AND state = ?`,
				StateInterrupted, nowMS, why, s.id, s.state)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if _, err := tx.Exec(`UPDATE proposals SET state = ? WHERE id = ?`, StateInterrupted, s.proposal); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range found {
		m.log.Warn("run marked interrupted", "run", s.id, "was", s.state)
		m.emit(Change{Kind: ChangeRun, ProposalID: s.proposal, RunID: s.id})
	}
	return nil
}

// sweepExpired records pending proposals past their expiry as expired.
// Readers already show them so; this makes the stored state say it too.
func (m *Manager) sweepExpired(ctx context.Context) {
	nowMS := m.now().UnixMilli()
	var n int
	if err := m.st.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM proposals WHERE state = ? AND expires_at <= ?`,
		StatePending, nowMS).Scan(&n); err != nil || n == 0 {
		return
	}
	err := m.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE proposals SET state = ?, decided_at = expires_at WHERE state = ? AND expires_at <= ?`,
			StateExpired, StatePending, nowMS)
		return err
	})
	if err != nil {
		m.log.Error("expire proposals", "err", err)
		return
	}
	m.emit(Change{Kind: ChangeProposal})
}

func (m *Manager) loop(ctx context.Context) {
	defer close(m.loopDone)
	t := time.NewTicker(m.poll)
	defer t.Stop()
	for {
		m.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-m.stop:
			return
		case <-t.C:
		case <-m.kick:
		}
	}
}

func (m *Manager) tick(ctx context.Context) {
	m.reloadIfChanged()
	runner, err := m.tryBecomeRunner(ctx)
	if err != nil {
		m.log.Warn("runner lock", "err", err)
	}
	if runner {
		m.sweepExpired(ctx)
		m.launchQueued(ctx)
	}
	if m.o.OnChange != nil {
		fp, err := m.fingerprint(ctx)
		if err != nil {
			return
		}
		m.mu.Lock()
		changed := m.fprint != "" && fp != m.fprint
		m.fprint = fp
		m.mu.Unlock()
		if changed {
			m.emit(Change{Kind: ChangeProposal})
			m.emit(Change{Kind: ChangeRun})
		}
	}
}

// launchQueued starts queued runs, oldest first, while slots are free.
func (m *Manager) launchQueued(ctx context.Context) {
	for {
		m.mu.Lock()
		free := m.o.MaxConcurrent - len(m.active)
		closed := m.closed
		m.mu.Unlock()
		if free <= 0 || closed {
			return
		}
		rows, err := m.st.ReadDB().QueryContext(ctx, `SELECT id FROM runs WHERE state = ? ORDER BY id LIMIT ?`, StateQueued, free)
		if err != nil {
			m.log.Error("look for queued runs", "err", err)
			return
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if rows.Scan(&id) == nil {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if len(ids) == 0 {
			return
		}
		for _, id := range ids {
			spec, err := m.claim(ctx, id)
			if err != nil {
				if !errors.Is(err, ErrDecided) && !errors.Is(err, ErrNotFound) {
					m.log.Error("claim run", "run", id, "err", err)
					return
				}
				continue // cancelled meanwhile
			}
			x := m.register(spec, nil)
			if x == nil {
				m.finish(nil, spec, outcome{state: StateInterrupted, err: "ipfwatch was quitting when this run was due to start"})
				return
			}
			go func() {
				defer m.execs.Done()
				m.execute(x, spec)
			}()
		}
	}
}

// claim moves a queued run to running. Of several claimants (two runners
// cannot exist, but RunNow and a runner can race) exactly one succeeds.
func (m *Manager) claim(ctx context.Context, runID int64) (runSpec, error) {
	spec := runSpec{runID: runID}
	nowMS := m.now().UnixMilli()
	err := m.st.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE runs SET state = ?, started_at = ? WHERE id = ? AND state = ?`,
			StateRunning, nowMS, runID, StateQueued)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var state string
			err := tx.QueryRow(`SELECT state FROM runs WHERE id = ?`, runID).Scan(&state)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("run %d does not exist: %w", runID, ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("run %d is %s, not queued: %w", runID, state, ErrDecided)
		}
		var argv, env string
		var timeoutMS int64
		err = tx.QueryRow(`SELECT p.id, p.event_id, p.rule, p.argv, p.env, p.workdir, p.timeout_ms
			FROM runs r JOIN proposals p ON p.id = r.proposal_id WHERE r.id = ?`, runID).
			Scan(&spec.proposalID, &spec.eventID, &spec.rule, &argv, &env, &spec.workdir, &timeoutMS)
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(argv), &spec.argv); err != nil || len(spec.argv) == 0 {
			return fmt.Errorf("run %d: stored argv unreadable: %v", runID, err)
		}
		if err := json.Unmarshal([]byte(env), &spec.env); err != nil {
			return fmt.Errorf("run %d: stored env unreadable: %w", runID, err)
		}
		spec.timeout = time.Duration(timeoutMS) * time.Millisecond
		_, err = tx.Exec(`UPDATE proposals SET state = ? WHERE id = ?`, StateRunning, spec.proposalID)
		return err
	})
	return spec, err
}

// RunNow executes a queued run in the calling goroutine, copying its output
// to out as well as recording it. The CLI uses it when no runner is active;
// while it runs, this process holds runner.lock, so a runner starting
// meanwhile neither runs it again nor marks it interrupted. Cancelling ctx
// cancels the run. It returns nil if the run succeeded and otherwise an
// error wrapping ErrRunFailed (or a refusal: ErrRunnerActive, ErrDecided,
// ErrNotFound).
func (m *Manager) RunNow(ctx context.Context, runID int64, out io.Writer) error {
	release, err := m.holdLock()
	if err != nil {
		return fmt.Errorf("run %d stays queued: %w", runID, err)
	}
	defer release()
	if err := m.recoverStale(ctx, false); err != nil {
		m.log.Error("mark interrupted runs", "err", err)
	}
	spec, err := m.claim(ctx, runID)
	if err != nil {
		return err
	}
	x := m.register(spec, out)
	if x == nil {
		m.finish(nil, spec, outcome{state: StateInterrupted, err: "ipfwatch was quitting when this run was due to start"})
		return ErrClosed
	}
	defer m.execs.Done()
	stopWatch := context.AfterFunc(ctx, func() { x.stop(StateCancelled) })
	defer stopWatch()
	o := m.execute(x, spec)
	if o.state == StateSucceeded {
		return nil
	}
	return fmt.Errorf("run %d %s: %w", runID, describe(o), ErrRunFailed)
}

// describe says how a run ended, as in "failed (exit 3)".
func describe(o outcome) string {
	switch o.state {
	case StateFailed:
		if o.exit != nil {
			return fmt.Sprintf("failed (exit %d)", *o.exit)
		}
		if o.err != "" {
			return "failed (" + o.err + ")"
		}
		return "failed"
	case StateTimedOut:
		return "timed out"
	default:
		return strings.ReplaceAll(o.state, "_", " ")
	}
}

// holdLock gives the caller runner.lock for the duration of a RunNow.
func (m *Manager) holdLock() (release func(), err error) {
	if m.isRunner() {
		return func() {}, nil
	}
	f, ok, err := lockFile(m.lockPath())
	if err != nil {
		return nil, fmt.Errorf("runner lock: %w", err)
	}
	if !ok {
		return nil, ErrRunnerActive
	}
	return func() { f.Close() }, nil
}

// execute runs a claimed, registered run to its end and records it.
func (m *Manager) execute(x *execution, spec runSpec) outcome {
	m.launched.Add(1)
	m.log.Info("run started", "run", spec.runID, "rule", spec.rule, "argv", spec.argv)
	o := m.runProcess(x, spec)
	m.finish(x, spec, o)
	return o
}

// runProcess starts the program and waits for it, stopping the whole process
// tree on timeout, cancel or Close.
func (m *Manager) runProcess(x *execution, spec runSpec) outcome {
	select {
	case <-x.stopCh:
		return outcome{state: x.reason, err: "stopped before it started"}
	default:
	}
	ctx := context.Background()
	ev, err := m.event(ctx, spec.eventID)
	if err != nil {
		return outcome{state: StateFailed, err: fmt.Sprintf("load event %d: %v", spec.eventID, err)}
	}
	evFile, err := writeEventFile(ev.Body)
	if err != nil {
		return outcome{state: StateFailed, err: err.Error()}
	}
	defer os.Remove(evFile)

	cmd := exec.Command(spec.argv[0], spec.argv[1:]...)
	cmd.Dir = spec.workdir
	cmd.Env = childEnv(spec.env, ev, evFile)
	cmd.Stdout, cmd.Stderr = x, x // the same writer: one pipe, order kept
	cmd.WaitDelay = m.drain       // a background process holding the pipe must not hold the run open
	tree, err := proctree.Start(cmd)
	if err != nil {
		msg := fmt.Sprintf("could not start %s: %v", spec.argv[0], err)
		x.Write([]byte("ipfwatch: " + msg + "\n"))
		return outcome{state: StateFailed, err: msg}
	}
	// On Windows closing the tree's job ends whatever the program left
	// running; on Unix such background processes outlive the run.
	defer tree.Close()
	m.recordPID(spec, cmd.Process.Pid)

	waitCh := make(chan error, 1)
	go func() { waitCh <- cmd.Wait() }()
	timeout := time.NewTimer(spec.timeout)
	defer timeout.Stop()
	flush := time.NewTicker(m.flushEvery)
	defer flush.Stop()
	timeoutC, stopC := timeout.C, x.stopCh
	var why string
	var killed <-chan struct{}
	kill := func(reason string) {
		why = reason
		timeoutC, stopC = nil, nil
		killed = m.terminate(tree, spec.runID)
	}
	for {
		select {
		case werr := <-waitCh:
			if killed != nil {
				<-killed
			}
			if errors.Is(werr, exec.ErrWaitDelay) {
				m.log.Warn("a background process kept the output open after the program exited; capture stopped", "run", spec.runID)
			}
			return result(cmd.ProcessState, why, spec.timeout)
		case <-flush.C:
			m.flushOutput(x)
			if stopC != nil && m.cancelRequested(spec.runID) {
				x.stop(StateCancelled)
			}
		case <-timeoutC:
			m.log.Warn("run timed out; stopping its process group", "run", spec.runID, "timeout", spec.timeout)
			kill(StateTimedOut)
		case <-stopC:
			m.log.Info("stopping run", "run", spec.runID, "as", x.reason)
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
	case why == StateTimedOut:
		o.state, o.err = StateTimedOut, "timed out after "+formatDuration(timeout)
	case why == StateCancelled:
		o.state, o.err = StateCancelled, "cancelled"
	case why == StateInterrupted:
		o.state, o.err = StateInterrupted, "ipfwatch quit during the run"
	case ps.Success():
		o.state = StateSucceeded
	default:
		o.state = StateFailed
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
	var state string
	err := m.st.ReadDB().QueryRow(`SELECT state FROM runs WHERE id = ?`, runID).Scan(&state)
	return err == nil && state == StateCancelling
}

func (m *Manager) recordPID(spec runSpec, pid int) {
	err := m.st.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE runs SET pid = ? WHERE id = ?`, pid, spec.runID)
		return err
	})
	if err != nil {
		m.log.Error("record pid", "run", spec.runID, "err", err)
	}
	m.emit(Change{Kind: ChangeRun, ProposalID: spec.proposalID, RunID: spec.runID})
}

// flushOutput stores the output captured so far, if it changed.
func (m *Manager) flushOutput(x *execution) {
	out, trunc, changed := x.takeDirty()
	if !changed {
		return
	}
	err := m.st.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE runs SET output = ?, truncated = ? WHERE id = ?`, out, trunc, x.runID)
		return err
	})
	if err != nil {
		m.log.Error("store run output", "run", x.runID, "err", err)
		return
	}
	m.emit(Change{Kind: ChangeOutput, ProposalID: x.proposalID, RunID: x.runID})
}

// finish records the end of a run, then releases its subscribers and
// notifies. x is nil for a run that never executed here.
func (m *Manager) finish(x *execution, spec runSpec, o outcome) {
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
	nowMS := m.now().UnixMilli()
	err := m.st.Write(context.Background(), func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE runs SET state = ?, ended_at = ?, exit_code = ?, output = ?, truncated = ?, error = ?
			WHERE id = ? AND state IN (?, ?)`,
			o.state, nowMS, exit, out, trunc, o.err, spec.runID, StateRunning, StateCancelling)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d was no longer running", spec.runID)
		}
		_, err = tx.Exec(`UPDATE proposals SET state = ? WHERE id = ?`, o.state, spec.proposalID)
		return err
	})
	if err != nil {
		m.log.Error("record end of run", "run", spec.runID, "state", o.state, "err", err)
	}
	if x != nil {
		x.end()
		m.mu.Lock()
		delete(m.active, spec.runID)
		m.mu.Unlock()
	}
	m.log.Info("run ended", "run", spec.runID, "rule", spec.rule, "state", o.state, "exit", exit, "error", o.err)
	m.emit(Change{Kind: ChangeRun, ProposalID: spec.proposalID, RunID: spec.runID})
	m.emit(Change{Kind: ChangeProposal, ProposalID: spec.proposalID, RunID: spec.runID})
	switch o.state {
	case StateSucceeded, StateFailed, StateTimedOut:
		m.post(notify.Notification{
			Kind:   notify.RunEnded,
			Title:  fmt.Sprintf("Remediation '%s' %s", spec.rule, describe(o)),
			Body:   fmt.Sprintf("Run %d of proposal %d.", spec.runID, spec.proposalID),
			Urgent: o.state != StateSucceeded,
		})
	}
}

// writeEventFile stores the raw event body in a temporary file readable only
// by this user (os.CreateTemp creates it 0600).
func writeEventFile(body []byte) (string, error) {
	f, err := os.CreateTemp("", "ipfwatch-event-*.json")
	if err != nil {
		return "", fmt.Errorf("create event file: %w", err)
	}
	_, werr := f.Write(body)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write event file: %w", werr)
	}
	return f.Name(), nil
}

// childEnv is the whole environment of a run: a few variables passed
// through from ipfwatch's own environment (never anything else, so the
// webhook secret cannot leak), the rule's variables, and the event's fields.
// NUL bytes, which no environment can hold, are dropped from event values.
func childEnv(ruleEnv map[string]string, e store.EventRow, eventFile string) []string {
	vars := map[string]string{}
	for _, k := range passThroughEnv {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range ruleEnv {
		vars[k] = v
	}
	clean := func(s string) string { return strings.ReplaceAll(s, "\x00", "") }
	vars["IPF_EVENT_ID"] = strconv.FormatInt(e.ID, 10)
	vars["IPF_EVENT_TYPE"] = clean(e.Type)
	vars["IPF_EVENT_ACTION"] = clean(e.Action)
	vars["IPF_EVENT_STATUS"] = clean(e.Status)
	vars["IPF_SNAPSHOT_ID"] = clean(e.SnapshotID)
	vars["IPF_SNAPSHOT_NAME"] = clean(e.SnapshotName)
	vars["IPF_REQUESTER"] = clean(e.Requester)
	vars["IPF_EVENT_TIMESTAMP"] = strconv.FormatInt(e.EventTime.UnixMilli(), 10)
	vars["IPF_EVENT_FILE"] = eventFile
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	env := make([]string, 0, len(keys))
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// Close stops the loop and releases runner.lock. A run still executing in
// this process (Quit during a run) has its process tree stopped (SIGTERM,
// SIGKILL after the grace period) and is recorded as interrupted, with the
// output it produced; Close waits for that, so it may take up to Grace. It
// does not close the store.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	started := m.started
	xs := make([]*execution, 0, len(m.active))
	for _, x := range m.active {
		xs = append(xs, x)
	}
	m.mu.Unlock()
	close(m.stop)
	if started {
		<-m.loopDone
	}
	for _, x := range xs {
		x.stop(StateInterrupted)
	}
	m.execs.Wait()
	m.lockMu.Lock()
	defer m.lockMu.Unlock()
	if m.lock != nil {
		err := m.lock.Close()
		m.lock = nil
		return err
	}
	return nil
}
