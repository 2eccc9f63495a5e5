package remediation

import (
	"context"
	"fmt"
	"os"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/lockfile"
)

func (m *Manager) lockPath() string { return config.RunnerLockPath(m.o.DataDir) }

// tryBecomeRunner takes runner.lock if it is free, and then recovers what a
// previous runner left behind.
func (m *Manager) tryBecomeRunner(ctx context.Context) (bool, error) {
	m.lockMu.Lock()
	if m.lock != nil {
		m.lockMu.Unlock()
		return true, nil
	}
	f, ok, err := lockfile.Take(m.lockPath(), false)
	if err != nil {
		m.lockMu.Unlock()
		return false, fmt.Errorf("remediation: runner lock: %w", err)
	}
	if !ok {
		m.lockMu.Unlock()
		return false, nil
	}
	// Say who holds it, for an engineer wondering which ipfwatch runs.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	// Recover what a dead runner left before this one counts as the
	// runner (lockMu held), so nothing approved from now on is taken for
	// the dead runner's leftovers.
	if err := m.recoverStale(ctx, true); err != nil {
		m.log.Error("mark interrupted runs", "err", err)
	}
	m.lock = f
	m.lockMu.Unlock()
	m.log.Info("this process runs approved remediations", "lock", m.lockPath())
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
	held, err := lockfile.Held(m.lockPath())
	if err != nil {
		m.log.Warn("probe runner lock", "err", err)
	}
	return held
}

// holdLock gives the caller runner.lock for the duration of a RunNow.
func (m *Manager) holdLock() (release func(), err error) {
	if m.isRunner() {
		return func() {}, nil
	}
	f, ok, err := lockfile.Take(m.lockPath(), false)
	if err != nil {
		return nil, fmt.Errorf("runner lock: %w", err)
	}
	if !ok {
		return nil, ErrRunnerActive
	}
	return func() {
		f.Close()
		m.kickOthers()
	}, nil
}

// releaseLock gives up runner.lock, if this manager holds it, and kicks the
// other processes so one of them can take it over.
func (m *Manager) releaseLock() error {
	m.lockMu.Lock()
	defer m.lockMu.Unlock()
	if m.lock == nil {
		return nil
	}
	err := m.lock.Close()
	m.lock = nil
	m.kickOthers()
	return err
}
