package remediation

import (
	"context"
)

// recoverStale records as interrupted the runs no live process is executing:
// those a runner that crashed or was killed left running (and, when
// includeQueued, queued). Nothing is re-run without a new approval; pending
// proposals stay pending. It must only be called while holding runner.lock,
// so no live runner's runs are touched.
func (m *Manager) recoverStale(ctx context.Context, includeQueued bool) error {
	mine := func(runID int64) bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		_, ok := m.active[runID]
		return ok
	}
	marked, err := m.st.MarkRunsInterrupted(ctx, includeQueued, mine, m.now())
	if err != nil {
		return err
	}
	for _, r := range marked {
		m.log.Warn("run marked interrupted", "run", r.ID, "was", r.Was)
		m.emit(Change{Kind: ChangeRun, ProposalID: r.ProposalID, RunID: r.ID})
	}
	return nil
}
