package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

type logOpts struct {
	failures, json bool
	limit          int
	since          time.Duration
}

func logFlags(fs *flag.FlagSet) runner {
	var o logOpts
	fs.BoolVar(&o.failures, "failures", false, "show rejected deliveries (signature failures and other refusals) instead of events")
	fs.BoolVar(&o.json, "json", false, "one JSON object per line")
	fs.IntVar(&o.limit, "limit", 50, "at most this many rows")
	fs.DurationVar(&o.since, "since", 0, "only rows received within this long, e.g. 24h (0 = all)")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int { return runLog(e, c, fs, o, args) }
}

func runLog(e *Env, c *common, fs *flag.FlagSet, o logOpts, args []string) int {
	if !noArgs(e, "log", args) {
		return 2
	}
	if o.limit <= 0 {
		fmt.Fprintln(e.Stderr, "ipfwatch log: --limit must be positive")
		return 2
	}
	var since time.Time
	if o.since > 0 {
		since = time.Now().Add(-o.since)
	}
	return withApp(e, c, "log", func(a *app.App) int {
		ctx := context.Background()
		if o.failures {
			return listed(e, "log", o.json, rejectionJSON, printRejections)(
				a.Store().ListRejections(ctx, store.RejectionFilter{Since: since, Limit: o.limit}))
		}
		rows, err := a.Store().ListEvents(ctx, store.EventFilter{Since: since, Limit: o.limit})
		if err != nil || !o.json {
			return listed(e, "log", false, nil, printEvents)(rows, err)
		}
		withIPF, err := enriched(ctx, a, rows)
		if err != nil {
			return fail(e, "log", err)
		}
		return writeJSONLines(e, withIPF, eventJSON)
	})
}

// listed prints rows a query returned, as JSON lines or as a table, or the
// query's error.
func listed[T any](e *Env, cmd string, asJSON bool, conv func(T) any, table func(io.Writer, []T)) func([]T, error) int {
	return func(rows []T, err error) int {
		if err != nil {
			return fail(e, cmd, err)
		}
		if asJSON {
			return writeJSONLines(e, rows, conv)
		}
		table(e.Stdout, rows)
		return 0
	}
}

func writeJSONLines[T any](e *Env, rows []T, conv func(T) any) int {
	enc := json.NewEncoder(e.Stdout)
	for _, r := range rows {
		if err := enc.Encode(conv(r)); err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch: %v\n", err)
			return 1
		}
	}
	return 0
}

const timeFormat = "2006-01-02 15:04:05"

// eventWithIPF is an event with what IP Fabric's API said of it.
type eventWithIPF struct {
	webhook.Event
	ipf enrich.Result
}

// enriched pairs rows with their enrichments, read in one query.
func enriched(ctx context.Context, a *app.App, rows []webhook.Event) ([]eventWithIPF, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	stored, err := a.Store().Enrichments(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]eventWithIPF, len(rows))
	for i, r := range rows {
		res := enrich.NotLookedUp(r.Payload)
		if row, ok := stored[r.ID]; ok {
			if res, err = enrich.Decode(row); err != nil {
				return nil, err
			}
		}
		out[i] = eventWithIPF{Event: r, ipf: res}
	}
	return out, nil
}

// eventJSON is an event as `ipfwatch log --json` prints it; id is the id the
// listener answered with, source says whether a webhook brought it or
// catch-up from IP Fabric's API, and ipf is what that API said of it.
func eventJSON(ew eventWithIPF) any {
	r := ew.Event
	source := r.Source
	if source == "" {
		source = webhook.SourceWebhook
	}
	return map[string]any{
		"source": source, "ipf": ew.ipf,
		"id": r.ID, "received_at": r.ReceivedAt.UTC().Format(time.RFC3339Nano),
		"last_seen_at": r.LastSeenAt.UTC().Format(time.RFC3339Nano),
		"type":         r.Type, "action": r.Action, "status": r.Status, "reason": r.Reason,
		"requester": r.Requester, "timestamp": r.TimestampMillis, "test": r.Test,
		"snapshot_id": r.SnapshotID, "snapshot_name": r.SnapshotName,
		"report_ids": nonNil(r.ReportIDs), "unrecognised": nonNil(r.Unrecognised),
		"remote_addr": r.RemoteAddr, "secret_matched": r.SecretMatched, "duplicates": r.Duplicates,
		"body_sha256": r.BodySHA256,
	}
}

func rejectionJSON(r webhook.Rejection) any {
	return map[string]any{
		"id": r.ID, "received_at": r.ReceivedAt.UTC().Format(time.RFC3339Nano),
		"remote_addr": r.RemoteAddr, "method": r.Method, "path": r.Path, "user_agent": r.UserAgent,
		"size": r.Size, "status": r.Status, "reason": r.Reason, "hint": r.Hint,
		"signature": r.Signature, "body_sha256": r.BodySHA256,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func printEvents(w io.Writer, rows []webhook.Event) {
	table(w, rows, "no events", "ID\tRECEIVED\tTYPE\tACTION\tSTATUS\tSNAPSHOT\tREQUESTER\tTEST\tDUPS",
		func(r webhook.Event) []any {
			snap := r.SnapshotName
			if snap == "" {
				snap = r.SnapshotID
			}
			test := ""
			if r.Test {
				test = "test"
			}
			return []any{r.ID, r.ReceivedAt.Local().Format(timeFormat), r.Type, r.Action, r.Status,
				clip(snap, 40), clip(r.Requester, 24), test, r.Duplicates}
		})
}

func printRejections(w io.Writer, rows []webhook.Rejection) {
	table(w, rows, "no rejected deliveries", "ID\tRECEIVED\tREMOTE\tHTTP\tREASON\tHINT",
		func(r webhook.Rejection) []any {
			return []any{r.ID, r.ReceivedAt.Local().Format(timeFormat), r.RemoteAddr, r.Status,
				clip(r.Reason, 40), clip(r.Hint, 50)}
		})
}

// table prints rows as aligned columns under header, or none when there
// are no rows; cells gives a row's cells, in the header's order.
func table[T any](w io.Writer, rows []T, none, header string, cells func(T) []any) {
	if len(rows) == 0 {
		fmt.Fprintln(w, none)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		for i, c := range cells(r) {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// clip shortens s for a table cell and keeps control characters from
// payloads out of the terminal.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
