// Package remediation proposes commands for stored events and runs them only
// after an engineer approves.
//
// A rule (remediations.yaml) that matches an event yields a proposal: the
// program, arguments, working directory and variables are resolved and frozen
// in SQLite, so what the engineer sees on the approval screen is what runs.
// Approval is a conditional UPDATE: of any number of simultaneous clicks, from
// any number of processes sharing the database, exactly one wins and queues a
// run. One process at a time (the holder of runner.lock in the data
// directory) executes queued runs: without a shell, in their own process
// group, with a minimal environment, their output streamed to subscribers and
// stored, their end state recorded.
package remediation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// Notifier is where the manager posts desktop notifications.
type Notifier interface {
	Post(notify.Notification)
}

// States of proposals and runs. A proposal is pending until decided; once
// approved it mirrors its run's state (approved while the run is queued).
// "cancelling" is a run state only: Cancel was asked for a run that is still
// stopping, possibly in another process.
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

// Kinds of Change.
const (
	ChangeProposal = "proposal"
	ChangeRun      = "run"
	ChangeOutput   = "output"
	ChangeRules    = "rules"
)

// Refusals. Errors returned by Approve, Reject, Cancel, Preview, Propose,
// Proposal and Run wrap one of these with a message fit to show as is.
var (
	ErrNotFound = errors.New("not found")
	ErrExpired  = errors.New("proposal has expired")
	ErrDecided  = errors.New("already decided")
	// ErrRunnerActive is returned by RunNow when another process is the
	// runner: the run stays queued and that process will run it.
	ErrRunnerActive = errors.New("another ipfwatch is running remediations")
	// ErrRunFailed is wrapped by RunNow when the run ended in any state but
	// succeeded.
	ErrRunFailed = errors.New("run did not succeed")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("remediation manager closed")
)

// Options configure a Manager. Zero values take the defaults noted.
type Options struct {
	RulesPath     string       // default DataDir/remediations.yaml
	DataDir       string       // runner.lock lives here; required
	Notifier      Notifier     // may be nil
	OnChange      func(Change) // may be nil; called without locks held
	Now           func() time.Time
	MaxConcurrent int           // runs at once; default 2
	Grace         time.Duration // SIGTERM to SIGKILL; default 5s
	OutputCap     int           // bytes of output kept per run; default 1 MiB
	User          func() string // OS user recorded as approver; default os/user
	Logger        *slog.Logger
}

// Change tells a subscriber what to refresh. Kind is one of ChangeProposal,
// ChangeRun, ChangeOutput, ChangeRules. An id of 0 means "some row changed",
// as when the change was made by another process sharing the database.
type Change struct {
	Kind       string
	ProposalID int64
	RunID      int64
}

// Manager owns rules, proposals and runs. Its methods are safe for
// concurrent use.
type Manager struct {
	st  *store.Store
	o   Options
	log *slog.Logger

	poll       time.Duration // how often the loop looks for work
	flushEvery time.Duration // how often running output is written to the DB
	drain      time.Duration // how long output is read after the program exits

	mu        sync.Mutex
	rules     []Rule
	rulesErr  error
	rulesSeen fileStamp
	active    map[int64]*execution
	started   bool
	closed    bool
	fprint    string // last seen database fingerprint, for foreign changes

	lockMu sync.Mutex
	lock   *os.File // runner.lock while this manager is the runner

	kick     chan struct{}
	stop     chan struct{}
	loopDone chan struct{}
	execs    sync.WaitGroup

	launched atomic.Int64 // runs this manager has executed, for tests
}

// NewManager loads the rules (writing the commented example file first if
// there is none). An invalid rules file does not stop it: RulesError reports
// it and no rules are in force until it is fixed.
func NewManager(st *store.Store, o Options) (*Manager, error) {
	if st == nil {
		return nil, errors.New("remediation: no store")
	}
	if o.DataDir == "" {
		return nil, errors.New("remediation: no data directory")
	}
	if o.RulesPath == "" {
		o.RulesPath = filepath.Join(o.DataDir, "remediations.yaml")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 2
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	if o.OutputCap <= 0 {
		o.OutputCap = 1 << 20
	}
	if o.User == nil {
		o.User = osUser
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := &Manager{
		st: st, o: o, log: o.Logger.With("component", "remediation"),
		poll: time.Second, flushEvery: time.Second, drain: 2 * time.Second,
		active:   map[int64]*execution{},
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("remediation: create data directory: %w", err)
	}
	if err := WriteExample(o.RulesPath); err != nil {
		return nil, fmt.Errorf("remediation: %w", err)
	}
	if err := m.ReloadRules(); err != nil {
		m.log.Warn("rules file invalid; no rules in force", "path", o.RulesPath, "err", err)
	}
	return m, nil
}

var (
	userOnce sync.Once
	userName string
)

// osUser is the login name of the user running ipfwatch, recorded as the
// approver.
func osUser() string {
	userOnce.Do(func() {
		if u, err := user.Current(); err == nil && u.Username != "" {
			userName = u.Username
			return
		}
		for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
			if v := os.Getenv(k); v != "" {
				userName = v
				return
			}
		}
		userName = "unknown"
	})
	return userName
}

func (m *Manager) now() time.Time { return m.o.Now() }

func (m *Manager) emit(c Change) {
	if m.o.OnChange != nil {
		m.o.OnChange(c)
	}
}

func (m *Manager) post(n notify.Notification) {
	if m.o.Notifier != nil {
		m.o.Notifier.Post(n)
	}
}

// fileStamp identifies a version of the rules file cheaply.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// Rules returns a copy of the rules in force.
func (m *Manager) Rules() []Rule {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Rule, len(m.rules))
	for i, r := range m.rules {
		out[i] = cloneRule(r)
	}
	return out
}

// SetMaxConcurrent changes how many runs may go at once (Settings applies
// it without a restart). Runs already going are not stopped when it
// shrinks; queued ones wait for a free slot. n < 1 means 1.
func (m *Manager) SetMaxConcurrent(n int) {
	if n < 1 {
		n = 1
	}
	m.mu.Lock()
	m.o.MaxConcurrent = n
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// MaxConcurrent is how many runs may go at once.
func (m *Manager) MaxConcurrent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.o.MaxConcurrent
}

// HasEnabledRules reports whether any rule can match an event on its own,
// so the caller can skip reading the event back when none can.
func (m *Manager) HasEnabledRules() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rules {
		if r.Enabled {
			return true
		}
	}
	return false
}

func cloneRule(r Rule) Rule {
	r.Command = append([]string(nil), r.Command...)
	if r.Env != nil {
		env := make(map[string]string, len(r.Env))
		for k, v := range r.Env {
			env[k] = v
		}
		r.Env = env
	}
	return r
}

// RulesError is why the rules file on disk is not in force, or nil.
func (m *Manager) RulesError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rulesErr
}

// RulesPath is the rules file.
func (m *Manager) RulesPath() string { return m.o.RulesPath }

// ReloadRules reads the rules file again. If it is invalid the last valid
// rules stay in force and the error is also kept for RulesError.
func (m *Manager) ReloadRules() error {
	stamp := stampOf(m.o.RulesPath)
	rules, err := LoadRules(m.o.RulesPath)
	m.mu.Lock()
	m.rulesSeen = stamp
	m.rulesErr = err
	if err == nil {
		m.rules = rules
	}
	m.mu.Unlock()
	m.emit(Change{Kind: ChangeRules})
	return err
}

// SetRules validates rules, saves them to the rules file and puts them in
// force. Invalid rules change nothing.
func (m *Manager) SetRules(rules []Rule) error {
	cp := make([]Rule, len(rules))
	for i, r := range rules {
		cp[i] = cloneRule(r)
	}
	if err := SaveRules(m.o.RulesPath, cp); err != nil {
		return err
	}
	m.mu.Lock()
	m.rules = cp
	m.rulesErr = nil
	m.rulesSeen = stampOf(m.o.RulesPath)
	m.mu.Unlock()
	m.emit(Change{Kind: ChangeRules})
	return nil
}

// reloadIfChanged reloads the rules file when it changed on disk, so an edit
// in a text editor or a git pull takes effect without a restart.
func (m *Manager) reloadIfChanged() {
	stamp := stampOf(m.o.RulesPath)
	m.mu.Lock()
	same := stamp == m.rulesSeen
	m.mu.Unlock()
	if same {
		return
	}
	if err := m.ReloadRules(); err != nil {
		m.log.Warn("rules file changed but is invalid; keeping the last valid rules", "err", err)
	} else {
		m.log.Info("rules reloaded", "path", m.o.RulesPath)
	}
}

func (m *Manager) rule(name string) (Rule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rules {
		if r.Name == name {
			return cloneRule(r), nil
		}
	}
	return Rule{}, fmt.Errorf("no rule named %q: %w", name, ErrNotFound)
}

func (m *Manager) event(ctx context.Context, id int64) (store.EventRow, error) {
	e, err := m.st.GetEvent(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, fmt.Errorf("event %d does not exist: %w", id, ErrNotFound)
	}
	return e, err
}

// OnEvent creates a pending proposal for every enabled rule that matches a
// newly stored event, and returns their ids. Calling it again for the same
// event creates nothing new: the database allows one automatic proposal per
// event and rule. A rule whose placeholders cannot be filled safely from this
// event is skipped with a logged reason.
func (m *Manager) OnEvent(ctx context.Context, e store.EventRow) ([]int64, error) {
	var ids []int64
	var errs []error
	for _, r := range m.Rules() {
		if !r.Enabled || !r.Matches(e) {
			continue
		}
		p, err := Resolve(r, e)
		if err != nil {
			m.log.Warn("no remediation proposal", "rule", r.Name, "event", e.ID, "reason", err)
			continue
		}
		id, created, err := m.insertProposal(ctx, e.ID, p, false)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !created {
			continue
		}
		ids = append(ids, id)
		m.log.Info("remediation proposed", "proposal", id, "rule", r.Name, "event", e.ID)
		m.emit(Change{Kind: ChangeProposal, ProposalID: id})
		m.post(notify.Notification{
			Kind:  notify.ApprovalPending,
			Title: fmt.Sprintf("Remediation '%s' awaits your approval", r.Name),
			Body:  fmt.Sprintf("%s. Approvable for %s.", eventSummary(e), formatDuration(p.Expires)),
		})
	}
	return ids, errors.Join(errs...)
}

// eventSummary is one line describing an event, for notifications.
func eventSummary(e store.EventRow) string {
	s := e.Type
	for _, part := range []string{e.Action, e.Status} {
		if part != "" {
			s += " " + part
		}
	}
	switch {
	case e.SnapshotName != "":
		s += ", snapshot " + e.SnapshotName
	case e.SnapshotID != "":
		s += ", snapshot " + e.SnapshotID
	}
	return s
}

// Preview returns the plan a proposal of rule for the event would freeze,
// without writing anything. The rule need not match nor be enabled.
func (m *Manager) Preview(ctx context.Context, eventID int64, rule string) (Plan, error) {
	r, err := m.rule(rule)
	if err != nil {
		return Plan{}, err
	}
	e, err := m.event(ctx, eventID)
	if err != nil {
		return Plan{}, err
	}
	return Resolve(r, e)
}

// Propose creates a manual proposal of rule for any stored event (the
// "Remediate..." action). It goes through the same approval as automatic
// ones; a manual proposal may be made again for the same event and rule.
func (m *Manager) Propose(ctx context.Context, eventID int64, rule string) (int64, error) {
	p, err := m.Preview(ctx, eventID, rule)
	if err != nil {
		return 0, err
	}
	id, _, err := m.insertProposal(ctx, eventID, p, true)
	if err != nil {
		return 0, err
	}
	m.log.Info("remediation proposed by hand", "proposal", id, "rule", rule, "event", eventID)
	m.emit(Change{Kind: ChangeProposal, ProposalID: id})
	return id, nil
}

func (m *Manager) insertProposal(ctx context.Context, eventID int64, p Plan, manual bool) (id int64, created bool, err error) {
	argv, err := json.Marshal(p.Argv)
	if err != nil {
		return 0, false, fmt.Errorf("encode argv: %w", err)
	}
	env := p.Env
	if env == nil {
		env = map[string]string{}
	}
	envJSON, err := json.Marshal(env)
	if err != nil {
		return 0, false, fmt.Errorf("encode env: %w", err)
	}
	now := m.now()
	err = m.st.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO proposals (event_id, rule, manual, state, argv, env, workdir,
			timeout_ms, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			eventID, p.Rule, manual, StatePending, string(argv), string(envJSON), p.Workdir,
			p.Timeout.Milliseconds(), now.UnixMilli(), now.Add(p.Expires).UnixMilli())
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
		return 0, false, fmt.Errorf("store proposal of %q for event %d: %w", p.Rule, eventID, err)
	}
	return id, created, nil
}

// refusal explains why a conditional update of a pending proposal changed
// nothing. It runs inside the same transaction.
func refusal(tx *sql.Tx, id int64, nowMS int64) error {
	var state string
	var expires int64
	err := tx.QueryRow(`SELECT state, expires_at FROM proposals WHERE id = ?`, id).Scan(&state, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("proposal %d does not exist: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if state == StateExpired || (state == StatePending && expires <= nowMS) {
		return fmt.Errorf("proposal %d expired at %s and can no longer be approved: %w",
			id, time.UnixMilli(expires).Format(time.DateTime), ErrExpired)
	}
	return fmt.Errorf("proposal %d was already decided (%s): %w", id, state, ErrDecided)
}

// Approve approves a pending, unexpired proposal and queues its run. The
// state change is one conditional UPDATE, so of simultaneous approvals
// (double clicks, the UI and the CLI) exactly one wins; the others get
// ErrDecided. The runner starts the run within a second.
func (m *Manager) Approve(ctx context.Context, proposalID int64) (int64, error) {
	now := m.now()
	nowMS := now.UnixMilli()
	who := m.o.User()
	var runID int64
	err := m.st.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE proposals SET state = ?, decided_at = ?, decided_by = ?
			WHERE id = ? AND state = ? AND expires_at > ?`,
			StateApproved, nowMS, who, proposalID, StatePending, nowMS)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return refusal(tx, proposalID, nowMS)
		}
		res, err = tx.Exec(`INSERT INTO runs (proposal_id, state, approved_by, approved_at)
			VALUES (?, ?, ?, ?)`, proposalID, StateQueued, who, nowMS)
		if err != nil {
			return err
		}
		runID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, err
	}
	m.log.Info("remediation approved", "proposal", proposalID, "run", runID, "by", who)
	m.emit(Change{Kind: ChangeProposal, ProposalID: proposalID, RunID: runID})
	m.emit(Change{Kind: ChangeRun, ProposalID: proposalID, RunID: runID})
	select {
	case m.kick <- struct{}{}:
	default:
	}
	return runID, nil
}

// Reject declines a pending proposal, with an optional comment for the
// record.
func (m *Manager) Reject(ctx context.Context, proposalID int64, comment string) error {
	nowMS := m.now().UnixMilli()
	who := m.o.User()
	err := m.st.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE proposals SET state = ?, decided_at = ?, decided_by = ?, comment = ?
			WHERE id = ? AND state = ? AND expires_at > ?`,
			StateRejected, nowMS, who, comment, proposalID, StatePending, nowMS)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return refusal(tx, proposalID, nowMS)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.log.Info("remediation rejected", "proposal", proposalID, "by", who)
	m.emit(Change{Kind: ChangeProposal, ProposalID: proposalID})
	return nil
}

// Cancel stops a run. A queued run is cancelled at once. A running one is
// marked cancelling and its whole process tree is sent SIGTERM, then SIGKILL
// after the grace period; if another process is the runner it does this
// within a second of seeing the mark. The run ends as cancelled (or with its
// real outcome, if it finished first).
func (m *Manager) Cancel(runID int64) error {
	ctx := context.Background()
	nowMS := m.now().UnixMilli()
	var queued bool
	var proposalID int64
	err := m.st.Write(ctx, func(tx *sql.Tx) error {
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
			if _, err := tx.Exec(`UPDATE runs SET state = ?, ended_at = ?, error = ? WHERE id = ? AND state = ?`,
				StateCancelled, nowMS, "cancelled before it started", runID, StateQueued); err != nil {
				return err
			}
			_, err = tx.Exec(`UPDATE proposals SET state = ? WHERE id = ?`, StateCancelled, proposalID)
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
	if err != nil {
		return err
	}
	m.log.Info("remediation cancel requested", "run", runID, "queued", queued)
	if !queued {
		m.mu.Lock()
		x := m.active[runID]
		m.mu.Unlock()
		if x != nil {
			x.stop(StateCancelled)
		}
	}
	m.emit(Change{Kind: ChangeRun, ProposalID: proposalID, RunID: runID})
	return nil
}
