package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func completion(source string, ts int64, key string) webhook.Event {
	return webhook.Event{
		Payload: webhook.Payload{Type: "snapshot", Action: "discover", Status: "completed",
			SnapshotID: "snap-1", TimestampMillis: ts},
		Body: []byte(key), Key: key, ReceivedAt: base, Source: source,
	}
}

// TestOneEventPerCompletion: catch-up and a webhook report the same snapshot
// completion with other timestamps and bodies; whichever came first is the
// one event, the other is its duplicate. Two webhooks of one completion
// that differ are both kept (IP Fabric may really send two).
func TestOneEventPerCompletion(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	caught, err := s.InsertEvent(ctx, completion(webhook.SourceCatchUp, 1000, "c"))
	if err != nil || caught.Duplicate {
		t.Fatalf("catch-up event: %+v, %v", caught, err)
	}
	late, err := s.InsertEvent(ctx, completion(webhook.SourceWebhook, 2000, "w"))
	if err != nil || !late.Duplicate || late.ID != caught.ID {
		t.Errorf("webhook after its catch-up event: %+v, %v; want a duplicate of %d", late, err, caught.ID)
	}
	again, err := s.InsertEvent(ctx, completion(webhook.SourceCatchUp, 3000, "c2"))
	if err != nil || !again.Duplicate {
		t.Errorf("catch-up run twice: %+v, %v; want a duplicate", again, err)
	}
	// The late webhook is IP Fabric repeating itself; the second catch-up
	// is not.
	if ev, err := s.GetEvent(ctx, caught.ID); err != nil || ev.Source != webhook.SourceCatchUp || ev.Duplicates != 1 {
		t.Errorf("stored source %q, duplicates %d, %v; want catch-up, 1", ev.Source, ev.Duplicates, err)
	}

	other := completion(webhook.SourceWebhook, 1000, "w1")
	other.SnapshotID = "snap-2"
	first, _ := s.InsertEvent(ctx, other)
	other.TimestampMillis, other.Key, other.Body = 5000, "w2", []byte("w2")
	second, err := s.InsertEvent(ctx, other)
	if err != nil || second.Duplicate || second.ID == first.ID {
		t.Errorf("two distinct webhooks of one completion: %+v then %+v, %v; want both kept", first, second, err)
	}
	cu := completion(webhook.SourceCatchUp, 9000, "c3")
	cu.SnapshotID = "snap-2"
	if r, err := s.InsertEvent(ctx, cu); err != nil || !r.Duplicate {
		t.Errorf("catch-up of a completion a webhook reported: %+v, %v", r, err)
	}
	if ev, err := s.GetEvent(ctx, first.ID); err != nil || ev.Duplicates != 0 || !ev.LastSeenAt.Equal(ev.ReceivedAt) {
		t.Errorf("a catch-up counted as IP Fabric repeating the webhook: duplicates %d, last seen %v (received %v), %v", ev.Duplicates, ev.LastSeenAt, ev.ReceivedAt, err)
	}
}

func TestEnrichmentRoundTripAndRetries(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a, _ := s.InsertEvent(ctx, testDelivery(1, base))
	b, _ := s.InsertEvent(ctx, testDelivery(2, base))
	if _, err := s.Enrichment(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("enrichment before any: %v", err)
	}
	done := Enrichment{EventID: a.ID, State: EnrichDone, Attempts: 1,
		Snapshot: []byte(`{"id":"s"}`), Checks: []byte(`[{"id":"1"}]`), UpdatedAt: base}
	failed := Enrichment{EventID: b.ID, State: EnrichFailed, Reason: "unreachable", Attempts: 2,
		UpdatedAt: base, NextAttemptAt: base.Add(2 * time.Minute)}
	for _, e := range []Enrichment{done, failed} {
		if err := s.PutEnrichment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Enrichment(ctx, a.ID)
	if err != nil || got.State != EnrichDone || string(got.Snapshot) != `{"id":"s"}` || string(got.Checks) != `[{"id":"1"}]` ||
		!got.NextAttemptAt.IsZero() {
		t.Errorf("done enrichment = %+v, %v", got, err)
	}
	if next, err := s.NextEnrichmentRetry(ctx); err != nil || !next.Equal(base.Add(2*time.Minute)) {
		t.Errorf("next retry %v, %v", next, err)
	}
	if due, _ := s.DueEnrichments(ctx, base.Add(time.Minute)); len(due) != 0 {
		t.Errorf("due a minute later: %+v", due)
	}
	if due, _ := s.DueEnrichments(ctx, base.Add(3*time.Minute)); len(due) != 1 || due[0].EventID != b.ID || due[0].Reason != "unreachable" {
		t.Errorf("due three minutes later: %+v", due)
	}
	// Replaced, not added.
	failed.State, failed.NextAttemptAt, failed.Attempts = EnrichDone, time.Time{}, 3
	if err := s.PutEnrichment(ctx, failed); err != nil {
		t.Fatal(err)
	}
	all, err := s.Enrichments(ctx, []int64{a.ID, b.ID, 999})
	if err != nil || len(all) != 2 || all[b.ID].State != EnrichDone || all[b.ID].Attempts != 3 {
		t.Errorf("Enrichments = %+v, %v", all, err)
	}
	if next, _ := s.NextEnrichmentRetry(ctx); !next.IsZero() {
		t.Errorf("a retry is still scheduled at %v", next)
	}
}

func TestMetaTime(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if v, err := s.MetaTime(ctx, MetaFirstUsed); err != nil || !v.IsZero() {
		t.Fatalf("unset: %v, %v", v, err)
	}
	if err := s.SetMetaTime(ctx, MetaFirstUsed, base, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMetaTime(ctx, MetaFirstUsed, base.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.MetaTime(ctx, MetaFirstUsed); !v.Equal(base) {
		t.Errorf("first used %v, want the first value kept", v)
	}
	if err := s.SetMetaTime(ctx, MetaLastRan, base.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.MetaTime(ctx, MetaLastRan); !v.Equal(base.Add(time.Hour)) {
		t.Errorf("last ran %v", v)
	}
}

// TestCheckProposals: a proposal made for an intent check keeps the check
// and its rows, the run claimed for it carries them, and automatic
// proposals are once per event, rule and check.
func TestCheckProposals(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ev, _ := s.InsertEvent(ctx, testDelivery(1, base))
	np := NewProposal{EventID: ev.ID, Rule: "r", Argv: []string{"/bin/true"}, Timeout: time.Minute,
		CreatedAt: base, ExpiresAt: base.Add(time.Hour),
		Check: &ProposalCheck{ID: "42", Name: "NTP sources", Color: "red", Count: 12, Rows: []byte(`[{"hostname":"r1"}]`)}}
	id, created, err := s.InsertProposal(ctx, np)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if _, created, _ := s.InsertProposal(ctx, np); created {
		t.Error("a second proposal for the same event, rule and check")
	}
	other := np
	other.Check = &ProposalCheck{ID: "43", Name: "DNS", Color: "red", Count: 1}
	if _, created, err := s.InsertProposal(ctx, other); err != nil || !created {
		t.Errorf("another check of the same event and rule: %v %v", created, err)
	}
	p, err := s.Proposal(ctx, id, base)
	if err != nil || p.Check == nil || p.Check.Name != "NTP sources" || p.Check.Count != 12 || string(p.Check.Rows) != `[{"hostname":"r1"}]` {
		t.Fatalf("proposal %+v (check %+v), %v", p, p.Check, err)
	}
	runID, err := s.ApproveProposal(ctx, id, "me", base)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := s.ClaimRun(ctx, runID, base)
	if err != nil || spec.Check == nil || spec.Check.ID != "42" || spec.Check.Color != "red" {
		t.Errorf("claimed run %+v, %v", spec, err)
	}
}
