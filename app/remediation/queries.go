package remediation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app/store"
)

// ProposalRow is one proposal with what the approval screen shows: the frozen
// plan, the decision, and a summary of its event.
type ProposalRow struct {
	ID        int64
	EventID   int64
	Rule      string
	Manual    bool
	State     string // a pending proposal past its expiry reads "expired"
	Argv      []string
	Env       map[string]string // the variables the rule adds
	Workdir   string
	Timeout   time.Duration
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt time.Time // zero while pending
	DecidedBy string
	Comment   string
	// Event holds the event's summary fields (type, action, status,
	// requester, times, test, snapshot id and name, reason); not its body.
	Event store.EventRow
	RunID int64 // 0 until approved
}

// RunRow is one run. Output is filled by Run only.
type RunRow struct {
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
func (r RunRow) Duration(now time.Time) time.Duration {
	switch {
	case r.StartedAt.IsZero():
		return 0
	case r.EndedAt.IsZero():
		return now.Sub(r.StartedAt)
	default:
		return r.EndedAt.Sub(r.StartedAt)
	}
}

const proposalSelect = `SELECT p.id, p.event_id, p.rule, p.manual, p.state, p.argv, p.env, p.workdir,
	p.timeout_ms, p.created_at, p.expires_at, p.decided_at, p.decided_by, p.comment,
	e.received_at, e.type, e.action, e.status, e.reason, e.requester, e.event_ts, e.test,
	e.snapshot_id, e.snapshot_name, COALESCE(r.id, 0)
	FROM proposals p JOIN events e ON e.id = p.event_id LEFT JOIN runs r ON r.proposal_id = p.id`

type scanner interface{ Scan(...any) error }

func ms(v int64) time.Time { return time.UnixMilli(v) }

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

func scanProposal(sc scanner, nowMS int64) (ProposalRow, error) {
	var p ProposalRow
	var argv, env string
	var timeoutMS, created, expires, received, evTS int64
	var decided sql.NullInt64
	err := sc.Scan(&p.ID, &p.EventID, &p.Rule, &p.Manual, &p.State, &argv, &env, &p.Workdir,
		&timeoutMS, &created, &expires, &decided, &p.DecidedBy, &p.Comment,
		&received, &p.Event.Type, &p.Event.Action, &p.Event.Status, &p.Event.Reason,
		&p.Event.Requester, &evTS, &p.Event.Test, &p.Event.SnapshotID, &p.Event.SnapshotName, &p.RunID)
	if err != nil {
		return p, err
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
	p.Event.ReceivedAt, p.Event.EventTime = ms(received), ms(evTS)
	if p.State == StatePending && expires <= nowMS {
		p.State = StateExpired
		p.DecidedAt = p.ExpiresAt
	}
	return p, nil
}

// Proposals lists proposals newest first, all of them if state is "" or
// those in one state (pending and expired take expiry into account). A limit
// of 0 or less means no limit.
func (m *Manager) Proposals(ctx context.Context, state string, limit int) ([]ProposalRow, error) {
	nowMS := m.now().UnixMilli()
	var where string
	var args []any
	switch state {
	case "":
	case StatePending:
		where, args = ` WHERE p.state = ? AND p.expires_at > ?`, []any{StatePending, nowMS}
	case StateExpired:
		where, args = ` WHERE p.state = ? OR (p.state = ? AND p.expires_at <= ?)`, []any{StateExpired, StatePending, nowMS}
	default:
		where, args = ` WHERE p.state = ?`, []any{state}
	}
	if limit <= 0 {
		limit = -1
	}
	args = append(args, limit)
	rows, err := m.st.ReadDB().QueryContext(ctx, proposalSelect+where+` ORDER BY p.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	defer rows.Close()
	var out []ProposalRow
	for rows.Next() {
		p, err := scanProposal(rows, nowMS)
		if err != nil {
			return nil, fmt.Errorf("list proposals: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list proposals: %w", err)
	}
	return out, nil
}

// Proposal returns one proposal.
func (m *Manager) Proposal(ctx context.Context, id int64) (ProposalRow, error) {
	row := m.st.ReadDB().QueryRowContext(ctx, proposalSelect+` WHERE p.id = ?`, id)
	p, err := scanProposal(row, m.now().UnixMilli())
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("proposal %d does not exist: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("proposal %d: %w", id, err)
	}
	return p, nil
}

// PendingCount is how many proposals can still be approved.
func (m *Manager) PendingCount(ctx context.Context) (int, error) {
	var n int
	err := m.st.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM proposals WHERE state = ? AND expires_at > ?`,
		StatePending, m.now().UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending proposals: %w", err)
	}
	return n, nil
}

const runSelect = `SELECT r.id, r.proposal_id, p.rule, r.state, r.approved_by, r.approved_at,
	r.started_at, r.ended_at, r.exit_code, r.truncated, r.error`

func scanRun(sc scanner, extra ...any) (RunRow, error) {
	var r RunRow
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
func (m *Manager) Runs(ctx context.Context, limit int) ([]RunRow, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := m.st.ReadDB().QueryContext(ctx, runSelect+` FROM runs r JOIN proposals p ON p.id = r.proposal_id
		ORDER BY r.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunRow
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// Run returns one run with its output. While this process is running it, the
// output is the live one rather than the last copy flushed to the database.
func (m *Manager) Run(ctx context.Context, id int64) (RunRow, error) {
	row := m.st.ReadDB().QueryRowContext(ctx, runSelect+`, r.output FROM runs r
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
	m.mu.Lock()
	x := m.active[id]
	m.mu.Unlock()
	if x != nil {
		if live, trunc, ok := x.snapshot(); ok && len(live) >= len(r.Output) {
			r.Output, r.Truncated = live, trunc
		}
	}
	if r.Output == nil {
		r.Output = []byte{}
	}
	return r, nil
}

// fingerprint summarises the remediation tables cheaply, so a process can
// notice changes made by another process sharing the database.
func (m *Manager) fingerprint(ctx context.Context) (string, error) {
	var parts [6]sql.NullString
	err := m.st.ReadDB().QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(id), 0) FROM proposals),
		(SELECT COUNT(*) FROM proposals WHERE state = 'pending'),
		(SELECT COALESCE(MAX(decided_at), 0) FROM proposals),
		(SELECT COALESCE(MAX(id), 0) FROM runs),
		(SELECT COALESCE(MAX(ended_at), 0) FROM runs),
		(SELECT group_concat(id || ':' || state || ':' || length(output), ',') FROM runs
			WHERE state IN ('queued', 'running', 'cancelling'))`).
		Scan(&parts[0], &parts[1], &parts[2], &parts[3], &parts[4], &parts[5])
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.String)
		b.WriteByte('|')
	}
	return b.String(), nil
}
