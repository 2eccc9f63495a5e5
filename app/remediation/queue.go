package remediation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/dirwatch"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// register makes a claimed run known as executing here. It refuses (nil)
// once Close has begun.
func (m *Manager) register(spec store.RunSpec, extra io.Writer) *execution {
	x := &execution{
		runID: spec.RunID, proposalID: spec.ProposalID, rule: spec.Rule,
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
	m.active[spec.RunID] = x
	m.execs.Add(1)
	return x
}

// Start makes this process the runner if no other process is: it takes an
// exclusive lock on runner.lock in the data directory without waiting. As
// the runner it first marks runs a dead runner left running or queued as
// interrupted (nothing is re-run without a new approval; pending proposals
// stay pending), then starts queued runs, up to MaxConcurrent at once.
//
// It then waits for something to do, never polling: a local approval or
// settings change wakes it directly; a decision made by another process
// sharing the database (`ipfwatch approve`) and a runner lock released by
// one reach it through the kick file, and an edited rules file through the
// rules file itself, both watched with the OS's file events. On each wake
// it takes the runner lock if it is free, starts what is queued, reloads
// the rules if they changed, and reports changes made by other processes
// through OnChange.
//
// If another process holds the lock, Start still returns nil: this process
// creates proposals and takes approvals, the other runs them, and this one
// takes over when the other lets go.
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
	w, err := dirwatch.Watch(m.o.DataDir, []string{filepath.Base(m.o.RulesPath), filepath.Base(config.KickPath(m.o.DataDir))},
		func(string) { m.Wake() })
	if err != nil {
		m.releaseLock()
		m.mu.Lock()
		m.started = false
		m.mu.Unlock()
		return fmt.Errorf("remediation: %w", err)
	}
	m.watch = w
	go m.loop(ctx)
	return nil
}

func (m *Manager) loop(ctx context.Context) {
	defer close(m.loopDone)
	for {
		m.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-m.stop:
			return
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
		m.launchQueued(ctx)
	}
	if m.o.OnChange != nil {
		fp, err := m.st.RemediationFingerprint(ctx)
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
		ids, err := m.st.QueuedRuns(ctx, free)
		if err != nil {
			m.log.Error("look for queued runs", "err", err)
			return
		}
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
				m.finish(nil, spec, outcome{state: store.StateInterrupted, err: "ipfwatch was quitting when this run was due to start"})
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
func (m *Manager) claim(ctx context.Context, runID int64) (store.RunSpec, error) {
	return m.st.ClaimRun(ctx, runID, m.now())
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
		m.finish(nil, spec, outcome{state: store.StateInterrupted, err: "ipfwatch was quitting when this run was due to start"})
		return ErrClosed
	}
	defer m.execs.Done()
	stopWatch := context.AfterFunc(ctx, func() { x.stop(store.StateCancelled) })
	defer stopWatch()
	o := m.execute(x, spec)
	if o.state == store.StateSucceeded {
		return nil
	}
	return fmt.Errorf("run %d %s: %w", runID, describe(o), ErrRunFailed)
}

// describe says how a run ended, as in "failed (exit 3)".
func describe(o outcome) string {
	switch o.state {
	case store.StateFailed:
		if o.exit != nil {
			return fmt.Sprintf("failed (exit %d)", *o.exit)
		}
		if o.err != "" {
			return "failed (" + o.err + ")"
		}
		return "failed"
	case store.StateTimedOut:
		return "timed out"
	default:
		return strings.ReplaceAll(o.state, "_", " ")
	}
}
