package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// States of proposals and runs. A proposal records only its decision
// (pending, approved, rejected); what it shows is derived (proposalState):
// a pending one past its expiry is expired, and an approved one takes its
// run's state, "approved" while the run is queued. "cancelling" is a run
// state only: Cancel was asked for a run that is still stopping, possibly in
// another process; its proposal still reads running.
const (
	StatePending     = "pending"
	StateExpired     = "expired"
	StateRejected    = "rejected"
	StateApproved    = "approved"
	StateQueued      = "queued"
	StateRunning     = "running"
	StateCancelling  = "cancelling"
	StateSucceeded   = "succeeded"
	StateFailed      = "failed"
	StateCancelled   = "cancelled"
	StateTimedOut    = "timed_out"
	StateInterrupted = "interrupted"
)

// Proposal is one proposal with what the approval screen shows: the frozen
// plan, the decision, and a summary of its event.
type Proposal struct {
	ID        int64
	EventID   int64
	Rule      string
	Manual    bool
	State     string // derived: see the State constants
	Argv      []string
	Env       map[string]string // the variables the rule adds
	Workdir   string
	Timeout   time.Duration
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt time.Time // zero while pending; the expiry for an expired one
	DecidedBy string
	Comment   string
	// Event holds the event's summary fields (type, action, status,
	// requester, times, test, snapshot id and name, reason); not its body.
	Event webhook.Event
	RunID int64 // 0 until approved
	// Check is the intent check a rule with an intent condition proposed
	// for, nil for other proposals.
	Check *ProposalCheck
}

// ProposalCheck is the intent check a proposal was made for, with its
// failing rows as IP Fabric gave them at proposal time.
type ProposalCheck struct {
	ID    string
	Name  string
	Color string // red, amber, blue, green
	Count int    // rows of that colour
	Rows  []byte // JSON array of rows, at most 1,000
}

// NewProposal is a plan to freeze into a pending proposal.
type NewProposal struct {
	EventID   int64
	Rule      string
	Manual    bool // started by hand: may repeat for the same event and rule
	Argv      []string
	Env       map[string]string
	Workdir   string
	Timeout   time.Duration
	CreatedAt time.Time
	ExpiresAt time.Time
	Check     *ProposalCheck
}

// proposalState derives a proposal's state, in this one place, from its
// decision, its expiry (against @now) and its run. It is the select list of
// a subquery (see proposalSelect), so filters and readers see the same
// state.
const proposalState = `CASE
		WHEN r.state = 'queued' THEN 'approved'
		WHEN r.state = 'cancelling' THEN 'running'
		WHEN r.state IS NOT NULL THEN r.state
		WHEN p.decision = 'pending' AND p.expires_at <= @now THEN 'expired'
		ELSE p.decision END`

// proposalStates is every proposal with its derived state and run id, as
// the table x, for the queries below.
const proposalStates = `(SELECT p.*, ` + proposalState + ` AS state, COALESCE(r.id, 0) AS run_id
		FROM proposals p LEFT JOIN runs r ON r.proposal_id = p.id) x`

// proposalSelect reads proposals with their derived state and their
// event's summary; callers add WHERE (on the columns of x) and ORDER BY.
const proposalSelect = `SELECT x.id, x.event_id, x.rule, x.manual, x.state, x.argv, x.env, x.workdir,
	x.timeout_ms, x.created_at, x.expires_at,
	CASE WHEN x.state = 'expired' THEN x.expires_at ELSE x.decided_at END,
	x.decided_by, x.comment,
	e.received_at, e.type, e.action, e.status, e.reason, e.requester, e.event_ts, e.test,
	e.snapshot_id, e.snapshot_name, x.run_id,
	x.check_id, x.check_name, x.check_color, x.check_count, x.check_rows
	FROM ` + proposalStates + ` JOIN events e ON e.id = x.event_id`

func scanProposal(sc scanner) (Proposal, error) {
	var p Proposal
	var argv, env string
	var timeoutMS, created, expires, received int64
	var decided sql.NullInt64
	var check ProposalCheck
	var rows string
	err := sc.Scan(&p.ID, &p.EventID, &p.Rule, &p.Manual, &p.State, &argv, &env, &p.Workdir,
		&timeoutMS, &created, &expires, &decided, &p.DecidedBy, &p.Comment,
		&received, &p.Event.Type, &p.Event.Action, &p.Event.Status, &p.Event.Reason,
		&p.Event.Requester, &p.Event.TimestampMillis, &p.Event.Test, &p.Event.SnapshotID,
		&p.Event.SnapshotName, &p.RunID,
		&check.ID, &check.Name, &check.Color, &check.Count, &rows)
	if err != nil {
		return p, err
	}
	if check.ID != "" {
		check.Rows = []byte(rows)
		p.Check = &check
	}
	if err := json.Unmarshal([]byte(argv), &p.Argv); err != nil {
		return p, fmt.Errorf("proposal %d: argv: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(env), &p.Env); err != nil {
		return p, fmt.Errorf("proposal %d: env: %w", p.ID, err)
	}
	p.Timeout = time.Duration(timeoutMS) * time.Millisecond
	p.CreatedAt, p.ExpiresAt, p.DecidedAt = ms(created), ms(expires), nullMS(decided)
	p.Event.ID = p.EventID
	p.Event.ReceivedAt = ms(received)
	return p, nil
}

func ms(v int64) time.Time { return time.UnixMilli(v) }

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// InsertProposal freezes a plan into a pending proposal. An automatic
// proposal is made once per event and rule: a second one creates nothing
// (created false, no error).
func (s *Store) InsertProposal(ctx context.Context, np NewProposal) (id int64, created bool, err error) {
	argv, err := json.Marshal(np.Argv)
	if err != nil {
		return 0, false, fmt.Errorf("encode argv: %w", err)
	}
	env := np.Env
	if env == nil {
		env = map[string]string{}
	}
	envJSON, err := json.Marshal(env)
	if err != nil {
		return 0, false, fmt.Errorf("encode env: %w", err)
	}
	var check ProposalCheck
	if np.Check != nil {
		check = *np.Check
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		id, created = 0, false
		res, err := tx.Exec(`INSERT INTO proposals (event_id, rule, manual, decision, argv, env, workdir,
			timeout_ms, created_at, expires_at, check_id, check_name, check_color, check_count, check_rows)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			np.EventID, np.Rule, np.Manual, StatePending, string(argv), string(envJSON), np.Workdir,
			np.Timeout.Milliseconds(), np.CreatedAt.UnixMilli(), np.ExpiresAt.UnixMilli(),
			check.ID, check.Name, check.Color, check.Count, string(check.Rows))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		id, err = res.LastInsertId()
		created = err == nil
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("store proposal of %q for event %d: %w", np.Rule, np.EventID, err)
	}
	return id, created, nil
}

// Proposals lists proposals newest first, all of them if state is "" or
// those in one (derived) state as of now. A limit of 0 or less means no
// limit.
func (s *Store) Proposals(ctx context.Context, state string, limit int, now time.Time) ([]Proposal, error) {
	args := []any{sql.Named("now", now.UnixMilli()), sql.Named("limit", noLimit(limit))}
	q := proposalSelect
	if state != "" {
		q += ` WHERE x.state = @state`
		args = append(args, sql.Named("state", state))
	}
	return queryAll(ctx, s.readDB, "list proposals", scanProposal, q+` ORDER BY x.id DESC LIMIT @limit`, args...)
}

// Proposal returns one proposal as of now.
func (s *Store) Proposal(ctx context.Context, id int64, now time.Time) (Proposal, error) {
	row := s.readDB.QueryRowContext(ctx, proposalSelect+` WHERE x.id = @id`,
		sql.Named("now", now.UnixMilli()), sql.Named("id", id))
	p, err := scanProposal(row)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("proposal %d does not exist: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("proposal %d: %w", id, err)
	}
	return p, nil
}

// PendingCount is how many proposals can still be approved at now.
func (s *Store) PendingCount(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.readDB.QueryRowContext(ctx, `SELECT COUNT(*) FROM proposals WHERE decision = ? AND expires_at > ?`,
		StatePending, now.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending proposals: %w", err)
	}
	return n, nil
}

// refusal explains why a conditional update of a pending proposal changed
// nothing. It runs inside the same transaction.
func refusal(tx *sql.Tx, id int64, nowMS int64) error {
	var state string
	var expires int64
	err := tx.QueryRow(`SELECT x.state, x.expires_at FROM `+proposalStates+` WHERE x.id = @id`,
		sql.Named("now", nowMS), sql.Named("id", id)).Scan(&state, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("proposal %d does not exist: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if state == StateExpired {
		return fmt.Errorf("proposal %d expired at %s and can no longer be approved: %w",
			id, time.UnixMilli(expires).Format(time.DateTime), ErrExpired)
	}
	return fmt.Errorf("proposal %d was already decided (%s): %w", id, state, ErrDecided)
}

// decide records decision on a pending, unexpired proposal, with who
// decided and their comment. It is one conditional UPDATE, so of
// simultaneous decisions (double clicks, the UI and the CLI, several
// processes) exactly one wins; the others get ErrDecided or ErrExpired.
// It runs inside tx.
func decide(tx *sql.Tx, id int64, decision, who, comment string, nowMS int64) error {
	res, err := tx.Exec(`UPDATE proposals SET decision = ?, decided_at = ?, decided_by = ?, comment = ?
		WHERE id = ? AND decision = ? AND expires_at > ?`,
		decision, nowMS, who, comment, id, StatePending, nowMS)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return refusal(tx, id, nowMS)
	}
	return nil
}

// ApproveProposal approves a pending, unexpired proposal and queues its run,
// recording who approved; see decide for what a race gives.
func (s *Store) ApproveProposal(ctx context.Context, id int64, who string, now time.Time) (runID int64, err error) {
	nowMS := now.UnixMilli()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := decide(tx, id, StateApproved, who, "", nowMS); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO runs (proposal_id, state, approved_by, approved_at)
			VALUES (?, ?, ?, ?)`, id, StateQueued, who, nowMS)
		if err != nil {
			return err
		}
		runID, err = res.LastInsertId()
		return err
	})
	return runID, err
}

// RejectProposal declines a pending, unexpired proposal, with an optional
// comment for the record.
func (s *Store) RejectProposal(ctx context.Context, id int64, who, comment string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		return decide(tx, id, StateRejected, who, comment, now.UnixMilli())
	})
}
