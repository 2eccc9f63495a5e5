package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// openRemediation opens the store and a remediation manager that does not
// become the runner: CLI commands decide, the running ipfwatch runs (or
// `approve` runs in the foreground when none is running).
func openRemediation(e *Env, c *common) (*store.Store, *remediation.Manager, error) {
	st, err := store.Open(dbPath(c))
	if err != nil {
		return nil, nil, err
	}
	m, err := remediation.NewManager(st, remediation.Options{
		RulesPath: filepath.Join(c.dataDir, "remediations.yaml"),
		DataDir:   c.dataDir,
		Logger:    slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, m, nil
}

func closeRemediation(st *store.Store, m *remediation.Manager) {
	m.Close()
	st.Close()
}

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
		if len(args) > 0 {
			fmt.Fprintf(e.Stderr, "ipfwatch proposals: unexpected argument %q\n", args[0])
			return 2
		}
		st, m, err := openRemediation(e, c)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch proposals: %v\n", err)
			return 1
		}
		defer closeRemediation(st, m)
		rows, err := m.Proposals(context.Background(), *state, *limit)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch proposals: %v\n", err)
			return 1
		}
		if *asJSON {
			return writeJSONLines(e, rows, proposalJSON)
		}
		printProposals(e.Stdout, rows, time.Now())
		return 0
	}
}

func eventSummary(ev store.EventRow) string {
	s := strings.TrimSpace(ev.Type + " " + ev.Action + " " + ev.Status)
	if ev.SnapshotName != "" {
		s += " " + ev.SnapshotName
	} else if ev.SnapshotID != "" {
		s += " " + ev.SnapshotID
	}
	return s
}

func proposalJSON(p remediation.ProposalRow) any {
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
	return m
}

func printProposals(w io.Writer, rows []remediation.ProposalRow, now time.Time) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "no proposals")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tRULE\tEVENT\tCOMMAND\tEXPIRES")
	for _, p := range rows {
		exp := ""
		if p.State == "pending" {
			exp = "in " + p.ExpiresAt.Sub(now).Round(time.Minute).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.State, p.Rule, clip(eventSummary(p.Event), 40),
			clip(strings.Join(quoteArgs(p.Argv), " "), 60), exp)
	}
	tw.Flush()
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
	st, m, err := openRemediation(e, c)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch approve: %v\n", err)
		return 1
	}
	defer closeRemediation(st, m)
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
		st, m, err := openRemediation(e, c)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch reject: %v\n", err)
			return 1
		}
		defer closeRemediation(st, m)
		if err := m.Reject(context.Background(), id, *comment); err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch reject: proposal %d: %v\n", id, err)
			return 1
		}
		fmt.Fprintf(e.Stdout, "rejected proposal %d\n", id)
		return 0
	}
}

func runsFlags(fs *flag.FlagSet) runner {
	asJSON := fs.Bool("json", false, "one JSON object per line")
	limit := fs.Int("limit", 100, "at most this many rows")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		if len(args) > 0 {
			fmt.Fprintf(e.Stderr, "ipfwatch runs: unexpected argument %q\n", args[0])
			return 2
		}
		st, m, err := openRemediation(e, c)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch runs: %v\n", err)
			return 1
		}
		defer closeRemediation(st, m)
		rows, err := m.Runs(context.Background(), *limit)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch runs: %v\n", err)
			return 1
		}
		if *asJSON {
			return writeJSONLines(e, rows, runJSON)
		}
		printRuns(e.Stdout, rows)
		return 0
	}
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func runJSON(r remediation.RunRow) any {
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

func printRuns(w io.Writer, rows []remediation.RunRow) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "no runs")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROPOSAL\tRULE\tSTATE\tEXIT\tSTARTED\tDURATION\tAPPROVED BY")
	for _, r := range rows {
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
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.ProposalID, r.Rule, r.State, exit, started, dur, r.ApprovedBy)
	}
	tw.Flush()
}

func runOutput(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	id, ok := parseID(e, "run-output", args)
	if !ok {
		return 2
	}
	st, m, err := openRemediation(e, c)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch run-output: %v\n", err)
		return 1
	}
	defer closeRemediation(st, m)
	r, err := m.Run(context.Background(), id)
	if errors.Is(err, remediation.ErrNotFound) {
		fmt.Fprintf(e.Stderr, "ipfwatch run-output: no run %d\n", id)
		return 1
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch run-output: %v\n", err)
		return 1
	}
	e.Stdout.Write(r.Output)
	return 0
}
