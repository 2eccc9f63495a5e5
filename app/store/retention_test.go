package store

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

const day = 24 * time.Hour

// addRejections inserts n rejections received at `at` in one write.
func addRejections(t *testing.T, s *Store, n int, at time.Time) {
	t.Helper()
	err := s.write(context.Background(), func(tx *sql.Tx) error {
		for range n {
			if _, err := tx.Exec(`INSERT INTO rejections (received_at, reason) VALUES (?, 'flood')`, at.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.readDB.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPruneByAge(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := base
	var ids []int64
	for i, age := range []time.Duration{100 * day, 91 * day, 89 * day, 0} {
		res, err := s.InsertEvent(ctx, testDelivery(i, now.Add(-age)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	// A proposal and its run hang off the oldest event and go with it.
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.Exec(`INSERT INTO proposals (event_id, rule, decision, argv, env, timeout_ms, created_at, expires_at)
			VALUES (?, 'r', 'approved', '["true"]', '{}', 1000, 0, 0)`, ids[0])
		if err != nil {
			return err
		}
		pid, _ := r.LastInsertId()
		_, err = tx.Exec(`INSERT INTO runs (proposal_id, state, approved_by, approved_at) VALUES (?, 'succeeded', 'me', 0)`, pid)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, age := range []time.Duration{31 * day, 30*day + time.Millisecond, 30 * day, 29 * day} {
		if _, err := s.InsertRejection(ctx, webhook.Rejection{ReceivedAt: now.Add(-age), Reason: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	latestE, latestR, _ := s.LatestIDs(ctx)

	e, r, err := s.Prune(ctx, DefaultRetention(), now)
	if err != nil {
		t.Fatal(err)
	}
	if e != 2 || r != 2 {
		t.Errorf("Prune deleted %d events, %d rejections; want 2, 2", e, r)
	}
	for i, id := range ids {
		_, err := s.GetEvent(ctx, id)
		if kept := err == nil; kept != (i >= 2) {
			t.Errorf("event %d (index %d): kept = %v", id, i, kept)
		}
	}
	if n := count(t, s, "proposals") + count(t, s, "runs"); n != 0 {
		t.Errorf("%d proposals/runs of a pruned event left", n)
	}
	if n := count(t, s, "rejections"); n != 2 {
		t.Errorf("%d rejections left, want 2", n)
	}

	// Pruning again finds nothing; keeping forever deletes nothing.
	if e, r, err := s.Prune(ctx, DefaultRetention(), now); e != 0 || r != 0 || err != nil {
		t.Errorf("second Prune = %d, %d, %v", e, r, err)
	}
	if e, r, err := s.Prune(ctx, Retention{}, now.Add(1000*day)); e != 0 || r != 0 || err != nil {
		t.Errorf("Prune with zero Retention = %d, %d, %v; want nothing deleted", e, r, err)
	}

	// Ids are never reused, even once every row is gone.
	if _, _, err := s.Prune(ctx, DefaultRetention(), now.Add(1000*day)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "events") + count(t, s, "rejections"); n != 0 {
		t.Fatalf("%d rows left after pruning everything", n)
	}
	if e, r, _ := s.LatestIDs(ctx); e != latestE || r != latestR {
		t.Errorf("LatestIDs after pruning = %d, %d; want %d, %d (never lower)", e, r, latestE, latestR)
	}
	res, err := s.InsertEvent(ctx, testDelivery(100, now))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID <= latestE {
		t.Errorf("new event got id %d, already used (max was %d)", res.ID, latestE)
	}
}

func TestPruneByCountInChunks(t *testing.T) {
	old := pruneChunk
	pruneChunk = 100
	t.Cleanup(func() { pruneChunk = old })

	s := openTest(t)
	ctx := context.Background()
	addRejections(t, s, 1050, base.Add(-40*day)) // too old
	addRejections(t, s, 700, base.Add(-time.Hour))
	addRejections(t, s, 300, base)
	_, newest, _ := s.LatestIDs(ctx)

	before := s.Stats()
	_, r, err := s.Prune(ctx, Retention{Rejections: 30 * day, MaxRejections: 500}, base)
	if err != nil {
		t.Fatal(err)
	}
	if r != 1050+500 {
		t.Errorf("deleted %d rejections, want %d", r, 1050+500)
	}
	// 1050 by age: 10 full chunks and one short; 500 by count: 5 full and one empty.
	if c := s.Stats().Commits - before.Commits; c != 11+6 {
		t.Errorf("%d commits, want %d: deletes not chunked by %d", c, 17, pruneChunk)
	}
	rows, err := s.ListRejections(ctx, RejectionFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 500 || rows[0].ID != newest || rows[499].ID != newest-499 {
		t.Errorf("kept %d rows from %d to %d, want the newest 500 (%d..%d)", len(rows), rows[0].ID, rows[len(rows)-1].ID, newest, newest-499)
	}
}

// syncBuffer is a log destination safe for the retention goroutine and the
// test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestRunRetention(t *testing.T) {
	s := openTest(t)
	addRejections(t, s, 10, base.Add(-31*day))
	addRejections(t, s, 3, base)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.RunRetention(ctx, DefaultRetention(), time.Hour, func() time.Time { return base }, log)
		close(done)
	}()
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for count(t, s, "rejections") != 3 {
		if time.Now().After(deadline) {
			t.Fatal("RunRetention did not prune at start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if out := logs.String(); !strings.Contains(out, "rejections_deleted=10") {
		t.Errorf("log = %q, want the deleted count", out)
	}

	// It also stops when the store is closed under it.
	done2 := make(chan struct{})
	s.Close()
	go func() {
		s.RunRetention(context.Background(), DefaultRetention(), time.Hour, nil, log)
		close(done2)
	}()
	<-done2
}
