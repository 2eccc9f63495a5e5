package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// TestMigrationFromV1KeepsEveryRow opens testdata/v1.db, a database written
// by the schema-1 code (the release before proposals stopped storing their
// run's state), and checks that every row is still there and reads as it
// did: events with their duplicate count, rejections, proposals in every
// state (pending, automatic and manual, rejected, succeeded, failed,
// interrupted, expired and swept into storage, approved with a queued run)
// and runs with their output.
func TestMigrationFromV1KeepsEveryRow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ipfwatch.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, path)
	ctx := context.Background()

	var version int
	if err := s.readDB.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("user_version = %d (%v), want %d", version, err, len(migrations))
	}

	events, err := s.ListEvents(ctx, EventFilter{Limit: 100})
	if err != nil || len(events) != 9 {
		t.Fatalf("events: %d, %v; want 9", len(events), err)
	}
	first, err := s.GetEvent(ctx, 1)
	if err != nil || first.Type != "snapshot" || first.Action != "discover" || first.SnapshotName != "nightly" ||
		first.Duplicates != 1 || len(first.Body) == 0 {
		t.Errorf("event 1 = %+v, %v", first, err)
	}
	// A retry of a row the old version stored is still recognised, now
	// that de-duplication reads the rows instead of the dropped indexes.
	again := webhook.Event{Payload: first.Payload, Body: first.Body, Key: "a key the old version never made", ReceivedAt: first.ReceivedAt}
	if res, err := s.InsertEvent(ctx, again); err != nil || !res.Duplicate || res.ID != 1 {
		t.Errorf("retry of event 1 after migration = %+v, %v; want a duplicate of 1", res, err)
	}
	rejections, err := s.ListRejections(ctx, RejectionFilter{})
	if err != nil || len(rejections) != 2 {
		t.Fatalf("rejections: %d, %v; want 2", len(rejections), err)
	}
	if r := rejections[1]; r.Reason != "Invalid message signature" || r.Hint != "signed with a different secret" ||
		r.Headers["User-Agent"] != "curl" || string(r.BodyPreview) != `{"type":1}` {
		t.Errorf("rejection = %+v", r)
	}

	// Well before the far-future expiries of the pending ones, after the
	// one that was swept as expired.
	now := time.UnixMilli(1_700_000_000_000).Add(time.Hour)
	ps, err := s.Proposals(ctx, "", 0, now)
	if err != nil || len(ps) != 9 {
		t.Fatalf("proposals: %d, %v; want 9", len(ps), err)
	}
	byID := map[int64]Proposal{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	want := []struct {
		id      int64
		rule    string
		manual  bool
		state   string
		decided bool
		run     bool
	}{
		{1, "fix-ntp", false, StatePending, false, false},
		{2, "broken", false, StatePending, false, false},
		{3, "fix-ntp", true, StatePending, false, false},
		{4, "fix-ntp", true, StateRejected, true, false},
		{5, "fix-ntp", true, StateSucceeded, true, true},
		{6, "broken", true, StateFailed, true, true},
		{7, "fix-ntp", true, StateInterrupted, true, true},
		{8, "fix-ntp", true, StateExpired, true, false},
		{9, "fix-ntp", true, StateApproved, true, true},
	}
	for _, w := range want {
		p, ok := byID[w.id]
		if !ok {
			t.Errorf("proposal %d missing", w.id)
			continue
		}
		if p.Rule != w.rule || p.Manual != w.manual || p.State != w.state || !p.DecidedAt.IsZero() != w.decided ||
			(p.RunID != 0) != w.run || len(p.Argv) == 0 || p.Event.ID != p.EventID || p.Event.Type == "" {
			t.Errorf("proposal %d = %+v, want %+v", w.id, p, w)
		}
	}
	if p := byID[4]; p.Comment != "change freeze" || p.DecidedBy != "tester" {
		t.Errorf("rejected proposal lost its decision: %+v", p)
	}
	if p := byID[8]; !p.DecidedAt.Equal(p.ExpiresAt) {
		t.Errorf("expired proposal decided at %v, want its expiry %v", p.DecidedAt, p.ExpiresAt)
	}
	if n, err := s.PendingCount(ctx, now); err != nil || n != 3 {
		t.Errorf("PendingCount = %d, %v; want 3", n, err)
	}
	if got, err := s.Proposals(ctx, StateExpired, 0, now); err != nil || len(got) != 1 || got[0].ID != 8 {
		t.Errorf("expired proposals = %+v, %v", got, err)
	}

	runs, err := s.Runs(ctx, 0)
	if err != nil || len(runs) != 4 {
		t.Fatalf("runs: %d, %v; want 4", len(runs), err)
	}
	ok, err := s.Run(ctx, byID[5].RunID)
	if err != nil || ok.State != StateSucceeded || ok.ExitCode == nil || *ok.ExitCode != 0 ||
		string(ok.Output) != "fixed ntp on snap-5\n" {
		t.Errorf("succeeded run = %+v (output %q), %v", ok, ok.Output, err)
	}
	bad, err := s.Run(ctx, byID[6].RunID)
	if err != nil || bad.State != StateFailed || bad.ExitCode == nil || *bad.ExitCode != 3 {
		t.Errorf("failed run = %+v, %v", bad, err)
	}
	if r, err := s.Run(ctx, byID[7].RunID); err != nil || r.State != StateInterrupted || r.Error == "" {
		t.Errorf("interrupted run = %+v, %v", r, err)
	}
	// The queued run is still queued, and can still be claimed once.
	if ids, err := s.QueuedRuns(ctx, 0); err != nil || len(ids) != 1 || ids[0] != byID[9].RunID {
		t.Errorf("queued runs = %v, %v", ids, err)
	}

	// A decision on a migrated pending proposal works as on a new one.
	if _, err := s.ApproveProposal(ctx, 1, "tester", now); err != nil {
		t.Errorf("approve migrated proposal: %v", err)
	}
	if _, err := s.ApproveProposal(ctx, 8, "tester", now); err == nil {
		t.Error("approved a proposal that had expired before the migration")
	}
}
