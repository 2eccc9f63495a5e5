package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The states of an event's enrichment from IP Fabric's API.
const (
	EnrichPending = "pending" // being looked up, or waiting for its next try
	EnrichDone    = "done"
	EnrichFailed  = "failed"  // the last try failed; NextAttemptAt says if another follows
	EnrichSkipped = "skipped" // nothing to look up (a test event, another status...); Reason says why
)

// Enrichment is what IP Fabric's API said about one event. Snapshot and
// Checks are JSON, as the enrichment package writes them: the store keeps
// them beside the event without reading them.
type Enrichment struct {
	EventID  int64
	State    string
	Reason   string // why it failed or was skipped
	Attempts int
	Snapshot []byte // JSON object, empty when not looked up
	Checks   []byte // JSON array, empty when not looked up
	// UpdatedAt is when it last changed; NextAttemptAt when a failed one
	// is tried again (zero: it is not).
	UpdatedAt     time.Time
	NextAttemptAt time.Time
}

const enrichmentColumns = `event_id, state, reason, attempts, snapshot, checks, updated_at, next_attempt_at`

func scanEnrichment(sc scanner) (Enrichment, error) {
	var e Enrichment
	var snap, checks string
	var updated, next int64
	if err := sc.Scan(&e.EventID, &e.State, &e.Reason, &e.Attempts, &snap, &checks, &updated, &next); err != nil {
		return e, err
	}
	if snap != "" {
		e.Snapshot = []byte(snap)
	}
	if checks != "" {
		e.Checks = []byte(checks)
	}
	e.UpdatedAt = ms(updated)
	if next > 0 {
		e.NextAttemptAt = ms(next)
	}
	return e, nil
}

// PutEnrichment stores an event's enrichment, replacing the one before.
func (s *Store) PutEnrichment(ctx context.Context, e Enrichment) error {
	var next int64
	if !e.NextAttemptAt.IsZero() {
		next = e.NextAttemptAt.UnixMilli()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO enrichments (`+enrichmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
			attempts = excluded.attempts, snapshot = excluded.snapshot, checks = excluded.checks,
			updated_at = excluded.updated_at, next_attempt_at = excluded.next_attempt_at`,
			e.EventID, e.State, e.Reason, e.Attempts, string(e.Snapshot), string(e.Checks),
			e.UpdatedAt.UnixMilli(), next)
		return err
	})
	if err != nil {
		return fmt.Errorf("store enrichment of event %d: %w", e.EventID, err)
	}
	return nil
}

// Enrichment returns an event's enrichment; ErrNotFound when it has none.
func (s *Store) Enrichment(ctx context.Context, eventID int64) (Enrichment, error) {
	row := s.readDB.QueryRowContext(ctx, `SELECT `+enrichmentColumns+` FROM enrichments WHERE event_id = ?`, eventID)
	e, err := scanEnrichment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Enrichment{}, fmt.Errorf("enrichment of event %d: %w", eventID, ErrNotFound)
	}
	if err != nil {
		return Enrichment{}, fmt.Errorf("enrichment of event %d: %w", eventID, err)
	}
	return e, nil
}

// Enrichments returns the enrichments of the events ids, by event id; an
// event without one is left out.
func (s *Store) Enrichments(ctx context.Context, ids []int64) (map[int64]Enrichment, error) {
	out := map[int64]Enrichment{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)] // well under SQLite's parameter limit
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := queryAll(ctx, s.readDB, "list enrichments", scanEnrichment,
			`SELECT `+enrichmentColumns+` FROM enrichments WHERE event_id IN (`+params(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, e := range rows {
			out[e.EventID] = e
		}
	}
	return out, nil
}

// DueEnrichments lists the events whose enrichment should be tried again
// by now, and those still pending (a process that stopped mid-lookup),
// oldest first.
func (s *Store) DueEnrichments(ctx context.Context, now time.Time) ([]Enrichment, error) {
	return queryAll(ctx, s.readDB, "list due enrichments", scanEnrichment,
		`SELECT `+enrichmentColumns+` FROM enrichments
		WHERE (next_attempt_at > 0 AND next_attempt_at <= ?) OR state = ? ORDER BY event_id`,
		now.UnixMilli(), EnrichPending)
}

// NextEnrichmentRetry is when the soonest scheduled retry is due, zero when
// none is.
func (s *Store) NextEnrichmentRetry(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.readDB.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM enrichments WHERE next_attempt_at > 0`).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("next enrichment retry: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return ms(next.Int64), nil
}
