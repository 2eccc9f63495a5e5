package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Run is one run of an approved proposal. Output is filled by Run only.
type Run struct {
	ID         int64
	ProposalID int64
	Rule       string
	State      string
	ApprovedBy string
	ApprovedAt time.Time
	StartedAt  time.Time // zero while queued
	EndedAt    time.Time // zero until ended
	ExitCode   *int      // nil if the program did not exit by itself
	Output     []byte
	Truncated  bool
	Error      string
}

// Duration is how long the run took, or has taken so far (until now).
func (r Run) Duration(now time.Time) time.Duration {
	switch {
	case r.StartedAt.IsZero():
		return 0
	case r.EndedAt.IsZero():
		return now.Sub(r.StartedAt)
	default:
		return r.EndedAt.Sub(r.StartedAt)
	}
}

// RunSpec is what a claimed run needs to execute: its frozen proposal.
type RunSpec struct {
	RunID, ProposalID, EventID int64
	Rule                       string
	Argv                       []string
	Env                        map[string]string
	Workdir                    string
	Timeout                    time.Duration
	Check                      *ProposalCheck // the intent check proposed for, if any
}

// RunEnd is how a run ended, with the output it left.
type RunEnd struct {
	State     string
	ExitCode  *int
	Output    []byte
	Truncated bool
	Error     string
}

// InterruptedRun is a run MarkRunsInterrupted recorded as interrupted.
type InterruptedRun struct {
	ID, ProposalID int64
	Was            string // the state it was left in
}

const runSelect = `SELECT r.id, r.proposal_id, p.rule, r.state, r.approved_by, r.approved_at,
	r.started_at, r.ended_at, r.exit_code, r.truncated, r.error`

func scanRun(sc scanner, extra ...any) (Run, error) {
	var r Run
	var approved int64
	var started, ended, code sql.NullInt64
	dest := append([]any{&r.ID, &r.ProposalID, &r.Rule, &r.State, &r.ApprovedBy, &approved,
		&started, &ended, &code, &r.Truncated, &r.Error}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return r, err
	}
	r.ApprovedAt, r.StartedAt, r.EndedAt = ms(approved), nullMS(started), nullMS(ended)
	if code.Valid {
		c := int(code.Int64)
		r.ExitCode = &c
	}
	return r, nil
}

// Runs lists runs newest first, without their output. A limit of 0 or less
// means no limit.
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	return queryAll(ctx, s.readDB, "list runs", func(sc scanner) (Run, error) { return scanRun(sc) },
		runSelect+` FROM runs r JOIN proposals p ON p.id = r.proposal_id ORDER BY r.id DESC LIMIT ?`, noLimit(limit))
}

// Run returns one run with its stored output.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	row := s.readDB.QueryRowContext(ctx, runSelect+`, r.output FROM runs r
		JOIN proposals p ON p.id = r.proposal_id WHERE r.id = ?`, id)
	var out []byte
	r, err := scanRun(row, &out)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %d does not exist: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("run %d: %w", id, err)
	}
	r.Output = out
	if r.Output == nil {
		r.Output = []byte{}
	}
	return r, nil
}

// RunState is a run's stored state.
func (s *Store) RunState(ctx context.Context, id int64) (string, error) {
	var state string
	err := s.readDB.QueryRowContext(ctx, `SELECT state FROM runs WHERE id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("run %d does not exist: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("run %d: %w", id, err)
	}
	return state, nil
}

// QueuedRuns returns the ids of up to limit queued runs, oldest first.
func (s *Store) QueuedRuns(ctx context.Context, limit int) ([]int64, error) {
	return queryAll(ctx, s.readDB, "look for queued runs", func(sc scanner) (id int64, err error) {
		return id, sc.Scan(&id)
	}, `SELECT id FROM runs WHERE state = ? ORDER BY id LIMIT ?`, StateQueued, noLimit(limit))
}

// ClaimRun moves a queued run to running and returns what it runs. Of
// several claimants exactly one succeeds; the others get ErrDecided (or
// ErrNotFound for an id that names no run).
func (s *Store) ClaimRun(ctx context.Context, runID int64, now time.Time) (RunSpec, error) {
	spec := RunSpec{RunID: runID}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE runs SET state = ?, started_at = ? WHERE id = ? AND state = ?`,
			StateRunning, now.UnixMilli(), runID, StateQueued)
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
		var argv, env, rows string
		var timeoutMS int64
		var check ProposalCheck
		err = tx.QueryRow(`SELECT p.id, p.event_id, p.rule, p.argv, p.env, p.workdir, p.timeout_ms,
			p.check_id, p.check_name, p.check_color, p.check_count, p.check_rows
			FROM runs r JOIN proposals p ON p.id = r.proposal_id WHERE r.id = ?`, runID).
			Scan(&spec.ProposalID, &spec.EventID, &spec.Rule, &argv, &env, &spec.Workdir, &timeoutMS,
				&check.ID, &check.Name, &check.Color, &check.Count, &rows)
		if err != nil {
			return err
		}
		if check.ID != "" {
			check.Rows = []byte(rows)
			spec.Check = &check
		}
		if err := json.Unmarshal([]byte(argv), &spec.Argv); err != nil || len(spec.Argv) == 0 {
			return fmt.Errorf("run %d: stored argv unreadable: %v", runID, err)
		}
		if err := json.Unmarshal([]byte(env), &spec.Env); err != nil {
			return fmt.Errorf("run %d: stored env unreadable: %w", runID, err)
		}
		spec.Timeout = time.Duration(timeoutMS) * time.Millisecond
		return nil
	})
	return spec, err
}

// SetRunPID records the process id of a run's program, for the record.
func (s *Store) SetRunPID(ctx context.Context, runID int64, pid int) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE runs SET pid = ? WHERE id = ?`, pid, runID)
		return err
	})
}

// SaveRunOutput stores the output a running run has produced so far.
func (s *Store) SaveRunOutput(ctx context.Context, runID int64, out []byte, truncated bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE runs SET output = ?, truncated = ? WHERE id = ?`, out, truncated, runID)
		return err
	})
}

// FinishRun records how a running (or cancelling) run ended. It fails if
// the run was no longer running: something else already recorded its end.
func (s *Store) FinishRun(ctx context.Context, runID int64, end RunEnd, now time.Time) error {
	out := end.Output
	if out == nil {
		out = []byte{}
	}
	var exit any
	if end.ExitCode != nil {
		exit = *end.ExitCode
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE runs SET state = ?, ended_at = ?, exit_code = ?, output = ?, truncated = ?, error = ?
			WHERE id = ? AND state IN (?, ?)`,
			end.State, now.UnixMilli(), exit, out, end.Truncated, end.Error, runID, StateRunning, StateCancelling)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d was no longer running", runID)
		}
		return nil
	})
}

// CancelRun cancels a queued run at once (queued true) or marks a running
// one cancelling, for whichever process runs it to stop. It returns the
// run's proposal, and ErrDecided for a run that has already ended.
func (s *Store) CancelRun(ctx context.Context, runID int64, now time.Time) (queued bool, proposalID int64, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		queued = false
		var state string
		err := tx.QueryRow(`SELECT state, proposal_id FROM runs WHERE id = ?`, runID).Scan(&state, &proposalID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %d does not exist: %w", runID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		switch state {
		case StateQueued:
			queued = true
			_, err := tx.Exec(`UPDATE runs SET state = ?, ended_at = ?, error = ? WHERE id = ? AND state = ?`,
				StateCancelled, now.UnixMilli(), "cancelled before it started", runID, StateQueued)
			return err
		case StateRunning:
			_, err := tx.Exec(`UPDATE runs SET state = ? WHERE id = ? AND state = ?`, StateCancelling, runID, StateRunning)
			return err
		case StateCancelling:
			return nil
		default:
			return fmt.Errorf("run %d has already ended (%s): %w", runID, state, ErrDecided)
		}
	})
	return queued, proposalID, err
}

// MarkRunsInterrupted records as interrupted the runs that a runner which
// died left running or cancelling (and, with includeQueued, queued), except
// those mine reports as executing in this process. Nothing is re-run without
// a new approval. Only the holder of the runner lock may call it.
func (s *Store) MarkRunsInterrupted(ctx context.Context, includeQueued bool, mine func(runID int64) bool, now time.Time) ([]InterruptedRun, error) {
	states := []any{StateRunning, StateCancelling}
	if includeQueued {
		states = append(states, StateQueued)
	}
	found, err := queryAll(ctx, s.readDB, "find interrupted runs", func(sc scanner) (r InterruptedRun, err error) {
		return r, sc.Scan(&r.ID, &r.ProposalID, &r.Was)
	}, `SELECT id, proposal_id, state FROM runs WHERE state IN (`+params(len(states))+`)`, states...)
	if err != nil {
		return nil, err
	}
	var stale []InterruptedRun
	for _, r := range found {
		if mine == nil || !mine(r.ID) {
			stale = append(stale, r)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	var marked []InterruptedRun
	err = s.write(ctx, func(tx *sql.Tx) error {
		marked = marked[:0]
		for _, r := range stale {
			why := "ipfwatch stopped while this run was in progress; it is not re-run without a new approval"
			if r.Was == StateQueued {
				why = "ipfwatch stopped before this run started; it is not run without a new approval"
			}
			res, err := tx.Exec(`UPDATE runs SET state = ?, ended_at = ?, error = ? WHERE id = ? AND state = ?`,
				StateInterrupted, now.UnixMilli(), why, r.ID, r.Was)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				marked = append(marked, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark runs interrupted: %w", err)
	}
	return marked, nil
}

// RemediationFingerprint summarises the proposal and run tables cheaply, so
// a process can notice changes made by another process sharing the
// database.
func (s *Store) RemediationFingerprint(ctx context.Context) (string, error) {
	var parts [6]sql.NullString
	err := s.readDB.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(id), 0) FROM proposals),
		(SELECT COUNT(*) FROM proposals WHERE decision = 'pending'),
		(SELECT COALESCE(MAX(decided_at), 0) FROM proposals),
		(SELECT COALESCE(MAX(id), 0) FROM runs),
		(SELECT COALESCE(MAX(ended_at), 0) FROM runs),
		(SELECT group_concat(id || ':' || state || ':' || length(output), ',') FROM runs
			WHERE state IN ('queued', 'running', 'cancelling'))`).
		Scan(&parts[0], &parts[1], &parts[2], &parts[3], &parts[4], &parts[5])
	if err != nil {
		return "", fmt.Errorf("remediation fingerprint: %w", err)
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.String)
		b.WriteByte('|')
	}
	return b.String(), nil
}
