package remediation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func (m *Manager) event(ctx context.Context, id int64) (webhook.Event, error) {
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
func (m *Manager) OnEvent(ctx context.Context, e webhook.Event) ([]int64, error) {
	var ids []int64
	var errs []error
	for _, r := range m.Rules() {
		// A rule on intent checks waits for them: OnEnriched.
		if !r.Enabled || !r.Matches(e) || r.Match.Intent != nil {
			continue
		}
		p, err := Resolve(r, e)
		if err != nil {
			m.log.Warn("no remediation proposal", "rule", r.Name, "event", e.ID, "reason", err)
			continue
		}
		id, err := m.propose(ctx, r, e, p, nil)
		if err != nil {
			errs = append(errs, err)
		} else if id != 0 {
			ids = append(ids, id)
		}
	}
	return ids, errors.Join(errs...)
}

// propose stores an automatic proposal (once per event, rule and check),
// announces and notifies it; id 0 means it existed already.
func (m *Manager) propose(ctx context.Context, r Rule, e webhook.Event, p Plan, check *store.ProposalCheck) (int64, error) {
	id, created, err := m.insertProposal(ctx, e.ID, p, false, check)
	if err != nil || !created {
		return 0, err
	}
	what := eventSummary(e)
	if check != nil {
		what = fmt.Sprintf("%s: %s has %d %s", what, check.Name, check.Count, check.Color)
	}
	m.log.Info("remediation proposed", "proposal", id, "rule", r.Name, "event", e.ID)
	m.emit(Change{Kind: ChangeProposal, ProposalID: id})
	m.post(notify.Notification{
		Kind:  notify.ApprovalPending,
		Title: fmt.Sprintf("Remediation '%s' awaits your approval", r.Name),
		Body:  fmt.Sprintf("%s. Approvable for %s.", what, config.FormatDuration(p.Expires)),
	})
	return id, nil
}

// RowsFetcher reads the rows of one colour behind an intent check of a
// snapshot, at most limit: (*ipf.Client).CheckRows.
type RowsFetcher func(ctx context.Context, snapshotID string, check ipf.Check, color ipf.Color, limit int) (ipf.Rows, error)

// maxCheckRows is how many failing rows a proposal keeps for its program.
const maxCheckRows = ipf.MaxRows

// OnEnriched makes the proposals of enabled rules with an intent condition
// for an event whose intent checks IP Fabric's API has given: once per
// event and check that meets the condition. Each proposal keeps up to
// 1,000 of the check's failing rows (read with rows) for the approval
// screen and the program. A failed enrichment (err, or no checks) makes no
// proposal; the log says so, and WaitingOnIPF lists it for the Approvals
// view.
func (m *Manager) OnEnriched(ctx context.Context, e webhook.Event, checks []ipf.Check, enrichErr error, rows RowsFetcher) ([]int64, error) {
	var ids []int64
	var errs []error
	for _, r := range m.Rules() {
		if !r.Enabled || r.Match.Intent == nil || !r.Matches(e) {
			continue
		}
		if enrichErr != nil {
			m.log.Warn("no remediation proposal: IP Fabric's intent checks could not be read",
				"rule", r.Name, "event", e.ID, "reason", enrichErr)
			m.noteBlocked(e, r.Name, enrichErr.Error())
			continue
		}
		m.unblock(e.ID)
		in := *r.Match.Intent
		meeting := in.Checks(checks)
		if len(meeting) == 0 {
			m.log.Info("no remediation proposal: no intent check meets the rule", "rule", r.Name, "event", e.ID,
				"check", in.Check, "color", in.ColorName(), "min", in.MinRows())
			continue
		}
		for _, k := range meeting {
			p, err := ResolveCheck(r, e, k)
			if err != nil {
				m.log.Warn("no remediation proposal", "rule", r.Name, "event", e.ID, "check", k.ID, "reason", err)
				continue
			}
			check := &store.ProposalCheck{ID: k.ID, Name: k.Name, Color: in.ColorName(), Count: k.Count(in.colorOf())}
			if rows != nil {
				got, err := rows(ctx, e.SnapshotID, k, in.colorOf(), maxCheckRows)
				if err != nil {
					m.log.Warn("failing rows of the check not read; proposing without them", "rule", r.Name,
						"event", e.ID, "check", k.ID, "err", err)
				} else if check.Rows, err = json.Marshal(rowsOf(got)); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			id, err := m.propose(ctx, r, e, p, check)
			if err != nil {
				errs = append(errs, err)
			} else if id != 0 {
				ids = append(ids, id)
			}
		}
	}
	return ids, errors.Join(errs...)
}

// CheckRow is one failing row of an intent check as a proposal keeps it and
// its program reads it (IPF_CHECK_ROWS_FILE): the device, its site, the
// check's column, and the row as IP Fabric gave it.
type CheckRow struct {
	Hostname string         `json:"hostname"`
	Site     string         `json:"site"`
	Value    string         `json:"value"`
	Row      map[string]any `json:"row"`
}

func rowsOf(r ipf.Rows) []CheckRow {
	out := make([]CheckRow, 0, len(r.Flat))
	for i, f := range r.Flat {
		cr := CheckRow{Hostname: f.Hostname, Site: f.Site, Value: f.Value}
		if i < len(r.Raw) {
			cr.Row = r.Raw[i]
		}
		out = append(out, cr)
	}
	return out
}

// CheckRows decodes the rows a proposal keeps.
func CheckRows(c *store.ProposalCheck) ([]CheckRow, error) {
	if c == nil || len(c.Rows) == 0 {
		return nil, nil
	}
	var rows []CheckRow
	if err := json.Unmarshal(c.Rows, &rows); err != nil {
		return nil, fmt.Errorf("check rows: %w", err)
	}
	return rows, nil
}

// eventSummary is one line describing an event, for notifications.
func eventSummary(e webhook.Event) string {
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
	id, _, err := m.insertProposal(ctx, eventID, p, true, nil)
	if err != nil {
		return 0, err
	}
	m.log.Info("remediation proposed by hand", "proposal", id, "rule", rule, "event", eventID)
	m.emit(Change{Kind: ChangeProposal, ProposalID: id})
	return id, nil
}

func (m *Manager) insertProposal(ctx context.Context, eventID int64, p Plan, manual bool, check *store.ProposalCheck) (id int64, created bool, err error) {
	now := m.now()
	return m.st.InsertProposal(ctx, store.NewProposal{
		EventID: eventID, Rule: p.Rule, Manual: manual, Argv: p.Argv, Env: p.Env, Workdir: p.Workdir,
		Timeout: p.Timeout, CreatedAt: now, ExpiresAt: now.Add(p.Expires), Check: check,
	})
}

// Approve approves a pending, unexpired proposal and queues its run. The
// state change is one conditional UPDATE, so of simultaneous approvals
// (double clicks, the UI and the CLI) exactly one wins; the others get
// ErrDecided. The runner starts the run within a second.
func (m *Manager) Approve(ctx context.Context, proposalID int64) (int64, error) {
	who := m.o.User()
	runID, err := m.st.ApproveProposal(ctx, proposalID, who, m.now())
	if err != nil {
		return 0, err
	}
	m.log.Info("remediation approved", "proposal", proposalID, "run", runID, "by", who)
	m.emit(Change{Kind: ChangeProposal, ProposalID: proposalID, RunID: runID})
	m.emit(Change{Kind: ChangeRun, ProposalID: proposalID, RunID: runID})
	m.Wake()
	m.kickOthers()
	return runID, nil
}

// Reject declines a pending proposal, with an optional comment for the
// record.
func (m *Manager) Reject(ctx context.Context, proposalID int64, comment string) error {
	who := m.o.User()
	if err := m.st.RejectProposal(ctx, proposalID, who, comment, m.now()); err != nil {
		return err
	}
	m.log.Info("remediation rejected", "proposal", proposalID, "by", who)
	m.kickOthers()
	m.emit(Change{Kind: ChangeProposal, ProposalID: proposalID})
	return nil
}

// Proposals lists proposals newest first, all of them if state is "" or
// those in one state (pending and expired as of now). A limit of 0 or less
// means no limit.
func (m *Manager) Proposals(ctx context.Context, state string, limit int) ([]store.Proposal, error) {
	return m.st.Proposals(ctx, state, limit, m.now())
}

// Proposal returns one proposal.
func (m *Manager) Proposal(ctx context.Context, id int64) (store.Proposal, error) {
	return m.st.Proposal(ctx, id, m.now())
}

// PendingCount is how many proposals can still be approved.
func (m *Manager) PendingCount(ctx context.Context) (int, error) {
	return m.st.PendingCount(ctx, m.now())
}
