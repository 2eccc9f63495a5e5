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
//
// The package is split by job: rules.go and rulesfile.go (what a rule is, its
// YAML), placeholders.go and plan.go (what a proposal freezes: argv,
// environment, expiry), proposals.go (proposing and deciding), queue.go and
// lock.go (which process runs what, claiming a queued run), execute.go and
// output.go (the process tree, its environment, output capture and its cap)
// and recovery.go (what a crashed runner left behind). Every row lives in
// app/store; Store below is what this package needs of it.
package remediation

import (
	"context"
	"errors"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Notifier is where the manager posts desktop notifications.
type Notifier interface {
	Post(notify.Notification)
}

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
	ErrNotFound = store.ErrNotFound
	ErrExpired  = store.ErrExpired
	ErrDecided  = store.ErrDecided
	// ErrRunnerActive is returned by RunNow when another process is the
	// runner: the run stays queued and that process will run it.
	ErrRunnerActive = errors.New("another ipfwatch is running remediations")
	// ErrRunFailed is wrapped by RunNow when the run ended in any state but
	// succeeded.
	ErrRunFailed = errors.New("run did not succeed")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("remediation manager closed")
)

// Change tells a subscriber what to refresh. Kind is one of ChangeProposal,
// ChangeRun, ChangeOutput, ChangeRules. An id of 0 means "some row changed",
// as when the change was made by another process sharing the database.
type Change struct {
	Kind       string
	ProposalID int64
	RunID      int64
}

// Store is what remediation keeps in the database: proposals, their
// decisions and runs, and the events they were made for. *store.Store
// implements it.
type Store interface {
	GetEvent(ctx context.Context, id int64) (webhook.Event, error)

	InsertProposal(ctx context.Context, p store.NewProposal) (id int64, created bool, err error)
	Proposals(ctx context.Context, state string, limit int, now time.Time) ([]store.Proposal, error)
	Proposal(ctx context.Context, id int64, now time.Time) (store.Proposal, error)
	PendingCount(ctx context.Context, now time.Time) (int, error)
	ApproveProposal(ctx context.Context, id int64, who string, now time.Time) (runID int64, err error)
	RejectProposal(ctx context.Context, id int64, who, comment string, now time.Time) error

	Runs(ctx context.Context, limit int) ([]store.Run, error)
	Run(ctx context.Context, id int64) (store.Run, error)
	RunState(ctx context.Context, id int64) (string, error)
	QueuedRuns(ctx context.Context, limit int) ([]int64, error)
	ClaimRun(ctx context.Context, id int64, now time.Time) (store.RunSpec, error)
	SetRunPID(ctx context.Context, id int64, pid int) error
	SaveRunOutput(ctx context.Context, id int64, out []byte, truncated bool) error
	FinishRun(ctx context.Context, id int64, end store.RunEnd, now time.Time) error
	CancelRun(ctx context.Context, id int64, now time.Time) (queued bool, proposalID int64, err error)
	MarkRunsInterrupted(ctx context.Context, includeQueued bool, mine func(runID int64) bool, now time.Time) ([]store.InterruptedRun, error)
	RemediationFingerprint(ctx context.Context) (string, error)
}
