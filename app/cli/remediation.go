package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func parseID(e *Env, cmd string, args []string) (int64, bool) {
	if len(args) != 1 {
		fmt.Fprintf(e.Stderr, "ipfwatch %s: want exactly one ID\n", cmd)
		return 0, false
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(e.Stderr, "ipfwatch %s: %q is not an ID\n", cmd, args[0])
		return 0, false
	}
	return id, true
}

func proposalsFlags(fs *flag.FlagSet) runner {
	asJSON := fs.Bool("json", false, "one JSON object per line")
	state := fs.String("state", "", "only proposals in this state (pending, expired, rejected, running, succeeded, ...)")
	limit := fs.Int("limit", 100, "at most this many rows")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		if !noArgs(e, "proposals", args) {
			return 2
		}
		now := time.Now()
		return withApp(e, c, "proposals", func(a *app.App) int {
			return listed(e, "proposals", *asJSON, proposalJSON,
				func(w io.Writer, rows []store.Proposal) { printProposals(w, rows, now) })(
				a.Remediation().Proposals(context.Background(), *state, *limit))
		})
	}
}

func eventSummary(ev webhook.Event) string {
	s := strings.TrimSpace(ev.Type + " " + ev.Action + " " + ev.Status)
	if ev.SnapshotName != "" {
		s += " " + ev.SnapshotName
	} else if ev.SnapshotID != "" {
		s += " " + ev.SnapshotID
	}
	return s
}

func proposalJSON(p store.Proposal) any {
	m := map[string]any{
		"id": p.ID, "state": p.State, "rule": p.Rule, "event_id": p.EventID, "manual": p.Manual,
		"event": eventSummary(p.Event), "argv": p.Argv, "env": p.Env, "workdir": p.Workdir,
		"timeout": p.Timeout.String(), "created_at": p.CreatedAt.UTC().Format(time.RFC3339Nano),
		"expires_at": p.ExpiresAt.UTC().Format(time.RFC3339Nano), "decided_by": p.DecidedBy,
		"comment": p.Comment, "run_id": p.RunID,
	}
	if !p.DecidedAt.IsZero() {
		m["decided_at"] = p.DecidedAt.UTC().Format(time.RFC3339Nano)
	}
	if p.Check != nil {
		rows, err := remediation.CheckRows(p.Check)
		if err != nil || rows == nil {
			rows = []remediation.CheckRow{}
		}
		m["check"] = map[string]any{"id": p.Check.ID, "name": p.Check.Name, "color": p.Check.Color,
			"count": p.Check.Count, "rows": rows}
	}
	return m
}

func printProposals(w io.Writer, rows []store.Proposal, now time.Time) {
	table(w, rows, "no proposals", "ID\tSTATE\tRULE\tEVENT\tCOMMAND\tEXPIRES", func(p store.Proposal) []any {
		exp := ""
		if p.State == store.StatePending {
			exp = "in " + p.ExpiresAt.Sub(now).Round(time.Minute).String()
		}
		return []any{p.ID, p.State, p.Rule, clip(eventSummary(p.Event), 40),
			clip(strings.Join(quoteArgs(p.Argv), " "), 60), exp}
	})
}

// quoteArgs shows argv unambiguously: arguments with spaces or quotes are
// printed Go-quoted. It is for reading only; nothing is ever run through a
// shell.
func quoteArgs(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`;&|<>(){}") {
			out[i] = strconv.Quote(a)
		} else {
			out[i] = a
		}
	}
	return out
}

func runApprove(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	id, ok := parseID(e, "approve", args)
	if !ok {
		return 2
	}
	return withApp(e, c, "approve", func(a *app.App) int { return approve(e, a.Remediation(), id) })
}

// approve approves proposal id and, when no ipfwatch is running to run it,
// runs it here in the foreground.
func approve(e *Env, m *remediation.Manager, id int64) int {
	ctx := context.Background()
	runID, err := m.Approve(ctx, id)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch approve: proposal %d: %v\n", id, err)
		return 1
	}
	if m.RunnerActive() {
		fmt.Fprintf(e.Stdout, "approved proposal %d: run %d queued for the running ipfwatch (see: ipfwatch runs, ipfwatch run-output %d)\n", id, runID, runID)
		return 0
	}
	fmt.Fprintf(e.Stdout, "approved proposal %d: no ipfwatch is running, so run %d runs here\n", id, runID)
	if err := m.RunNow(ctx, runID, e.Stdout); err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch approve: run %d: %v\n", runID, err)
		return 1
	}
	r, err := m.Run(ctx, runID)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch approve: run %d: %v\n", runID, err)
		return 1
	}
	fmt.Fprintf(e.Stdout, "run %d %s%s\n", runID, r.State, exitSuffix(r.ExitCode))
	if r.State != "succeeded" {
		return 1
	}
	return 0
}

func exitSuffix(code *int) string {
	if code == nil {
		return ""
	}
	return fmt.Sprintf(" (exit %d)", *code)
}

func rejectFlags(fs *flag.FlagSet) runner {
	comment := fs.String("comment", "", "why, for the audit trail")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		id, ok := parseID(e, "reject", args)
		if !ok {
			return 2
		}
		return withApp(e, c, "reject", func(a *app.App) int {
			if err := a.Remediation().Reject(context.Background(), id, *comment); err != nil {
				return fail(e, "reject", fmt.Errorf("proposal %d: %w", id, err))
			}
			fmt.Fprintf(e.Stdout, "rejected proposal %d\n", id)
			return 0
		})
	}
}

func runsFlags(fs *flag.FlagSet) runner {
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("limit", 100, "at most this many rows")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		if !noArgs(e, "runs", args) {
			return 2
		}
		return withApp(e, c, "runs", func(a *app.App) int {
			return listed(e, "runs", *asJSON, runJSON, printRuns)(a.Remediation().Runs(context.Background(), *limit))
		})
	}
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func runJSON(r store.Run) any {
	m := map[string]any{
		"id": r.ID, "proposal_id": r.ProposalID, "rule": r.Rule, "state": r.State,
		"approved_by": r.ApprovedBy, "approved_at": timeJSON(r.ApprovedAt),
		"started_at": timeJSON(r.StartedAt), "ended_at": timeJSON(r.EndedAt),
		"exit_code": r.ExitCode, "truncated": r.Truncated, "error": r.Error,
	}
	if !r.StartedAt.IsZero() && !r.EndedAt.IsZero() {
		m["duration_ms"] = r.EndedAt.Sub(r.StartedAt).Milliseconds()
	}
	if r.Output != nil {
		m["output"] = string(r.Output)
	}
	return m
}

func printRuns(w io.Writer, rows []store.Run) {
	table(w, rows, "no runs", "ID\tPROPOSAL\tRULE\tSTATE\tEXIT\tSTARTED\tDURATION\tAPPROVED BY", func(r store.Run) []any {
		exit, started, dur := "", "", ""
		if r.ExitCode != nil {
			exit = strconv.Itoa(*r.ExitCode)
		}
		if !r.StartedAt.IsZero() {
			started = r.StartedAt.Local().Format(timeFormat)
			if !r.EndedAt.IsZero() {
				dur = r.EndedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
			}
		}
		return []any{r.ID, r.ProposalID, r.Rule, r.State, exit, started, dur, r.ApprovedBy}
	})
}

func runOutput(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	id, ok := parseID(e, "run-output", args)
	if !ok {
		return 2
	}
	return withApp(e, c, "run-output", func(a *app.App) int {
		r, err := a.Remediation().Run(context.Background(), id)
		if errors.Is(err, remediation.ErrNotFound) {
			return fail(e, "run-output", fmt.Errorf("no run %d", id))
		}
		if err != nil {
			return fail(e, "run-output", err)
		}
		e.Stdout.Write(r.Output)
		return 0
	})
}
