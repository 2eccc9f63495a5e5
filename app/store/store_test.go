package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// base is a fixed clock reading for tests, whole milliseconds because the
// store keeps milliseconds.
var base = time.UnixMilli(1_760_000_000_000)

func openTest(t testing.TB) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "ipfwatch.db"))
}

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testDelivery builds a distinct, plausible snapshot delivery number i.
func testDelivery(i int, at time.Time) webhook.Event {
	snap := fmt.Sprintf("snap-%06d", i)
	body := fmt.Sprintf(`{"type":"snapshot","action":"discover","status":"completed","snapshot":{"id":%q},"timestamp":%d}`,
		snap, at.UnixMilli())
	sum := sha256.Sum256([]byte(body))
	return webhook.Event{
		Payload: webhook.Payload{
			Type: "snapshot", Action: "discover", Status: "completed",
			TimestampMillis: at.UnixMilli(), SnapshotID: snap, Requester: "cron",
		},
		Body:          []byte(body),
		BodySHA256:    hex.EncodeToString(sum[:]),
		Key:           "snapshot|discover|completed|" + snap + "||" + fmt.Sprint(at.UnixMilli()) + "|false",
		RemoteAddr:    "127.0.0.1:40000",
		UserAgent:     "python-httpx/0.27",
		ReceivedAt:    at,
		SecretMatched: "current",
	}
}

// blockWriter occupies the writer goroutine with a Write that waits until
// release is called, so that later writes queue up and are committed as one
// batch.
func blockWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	releaseErr := blockWriterErr(s)
	return func() {
		if err := releaseErr(); err != nil {
			t.Errorf("blocking write: %v", err)
		}
	}
}

// blockWriterErr is blockWriter for a batch that may fail: release returns
// the blocking write's error.
func blockWriterErr(s *Store) (release func() error) {
	started, unblock := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.write(context.Background(), func(*sql.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	return func() error {
		close(unblock)
		return <-errc
	}
}

// waitQueued waits until n requests wait in the writer's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a performance goal
	for len(s.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes queued", len(s.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSettingsInForce(t *testing.T) {
	s := openTest(t)
	other, err := sql.Open("sqlite3", fileURI(s.Path())+"?_busy_timeout=0&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	err = s.write(context.Background(), func(tx *sql.Tx) error {
		for _, c := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"foreign_keys", "1"},
			{"busy_timeout", "10000"},
			{"query_only", "0"},
		} {
			var got string
			if err := tx.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
				return fmt.Errorf("PRAGMA %s: %w", c.pragma, err)
			}
			if got != c.want {
				t.Errorf("write connection PRAGMA %s = %q, want %q", c.pragma, got, c.want)
			}
		}
		// Nothing has been written in this transaction yet. Had it begun
		// DEFERRED, it would hold no lock and another writer could start;
		// BEGIN IMMEDIATE already holds the write lock.
		otx, err := other.Begin()
		if err == nil {
			otx.Rollback()
			t.Errorf("another connection began a write transaction inside Write: the writer's transaction is not IMMEDIATE")
		} else if !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "busy") {
			t.Errorf("other BEGIN IMMEDIATE: %v, want database is locked", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var qo int
	if err := s.readDB.QueryRow("PRAGMA query_only").Scan(&qo); err != nil || qo != 1 {
		t.Errorf("read pool PRAGMA query_only = %d (%v), want 1", qo, err)
	}
	if _, err := s.readDB.Exec(`INSERT INTO rejections (received_at, reason) VALUES (1, 'x')`); err == nil {
		t.Error("the read pool accepted an INSERT")
	}
}

func TestOpenPathNeedingEscapes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird #dir%20 x")
	path := filepath.Join(dir, "ipf.db")
	s := openAt(t, path)
	if _, err := s.InsertEvent(context.Background(), testDelivery(1, base)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the path asked for: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			t.Errorf("stray file beside the data directory: %q", e.Name())
		}
	}
	s2 := openAt(t, path)
	if ev, _, err := s2.LatestIDs(context.Background()); err != nil || ev != 1 {
		t.Fatalf("after reopen LatestIDs = %d, %v; want 1", ev, err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipfwatch.db")
	ctx := context.Background()
	for round := 1; round <= 3; round++ {
		s, err := Open(path)
		if err != nil {
			t.Fatalf("open #%d: %v", round, err)
		}
		var v int
		if err := s.readDB.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != len(migrations) {
			t.Errorf("open #%d: user_version = %d, want %d", round, v, len(migrations))
		}
		if _, err := s.InsertEvent(ctx, testDelivery(round, base)); err != nil {
			t.Fatal(err)
		}
		rows, err := s.ListEvents(ctx, EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != round {
			t.Errorf("open #%d: %d events, want %d (data kept across reopen)", round, len(rows), round)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// A database from a newer ipfwatch is refused, not modified.
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(path); err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
}

// The tray app and the CLI share one file and may start together: both must
// open it, and the schema must be applied exactly once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("ipf%d.db", round))
		var wg sync.WaitGroup
		errs := make([]error, 4)
		stores := make([]*Store, 4)
		for i := range stores {
			wg.Go(func() { stores[i], errs[i] = Open(path) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: concurrent Open #%d: %v", round, i, err)
				continue
			}
			stores[i].Close()
		}
	}
}

func TestConcurrentInsertsShareCommits(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const goroutines, each = 64, 10
	ids := make([][]int64, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for j := range each {
				res, err := s.InsertEvent(ctx, testDelivery(g*each+j, base.Add(time.Duration(j)*time.Second)))
				if err != nil {
					t.Errorf("InsertEvent: %v", err)
					return
				}
				if res.Duplicate {
					t.Errorf("distinct event %d reported as duplicate of %d", g*each+j, res.ID)
				}
				ids[g] = append(ids[g], res.ID)
			}
		})
	}
	before := s.Stats()
	close(start)
	wg.Wait()
	st := s.Stats()

	seen := map[int64]bool{}
	for _, list := range ids {
		for _, id := range list {
			if seen[id] {
				t.Errorf("id %d handed out twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != goroutines*each {
		t.Errorf("%d distinct ids, want %d", len(seen), goroutines*each)
	}
	var n int
	if err := s.readDB.QueryRow("SELECT count(*) FROM events").Scan(&n); err != nil || n != goroutines*each {
		t.Errorf("events in table = %d (%v), want %d", n, err, goroutines*each)
	}
	writes, commits := st.Writes-before.Writes, st.Commits-before.Commits
	if writes != goroutines*each {
		t.Errorf("Stats.Writes grew by %d, want %d", writes, goroutines*each)
	}
	if commits >= writes {
		t.Errorf("%d commits for %d writes: no group commit", commits, writes)
	}
	t.Logf("%d writes in %d commits (largest batch %d)", writes, commits, st.LargestBatch)
}

func TestFailingWriteKeepsItsBatch(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	release := blockWriter(t, s)
	before := s.Stats()

	boom := errors.New("boom")
	const n = 9
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.write(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO rejections (received_at, reason) VALUES (?, ?)`, i, fmt.Sprint("r", i)); err != nil {
					return err
				}
				switch i {
				case 3:
					return boom // after writing: its insert must be undone
				case 6:
					panic("bug in a caller")
				}
				return nil
			})
		})
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()

	for i, err := range errs {
		switch i {
		case 3:
			if !errors.Is(err, boom) {
				t.Errorf("write %d: err = %v, want boom", i, err)
			}
		case 6:
			if err == nil || !strings.Contains(err.Error(), "panicked") {
				t.Errorf("write %d: err = %v, want the panic as an error", i, err)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	rows, err := s.ListRejections(ctx, RejectionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Reason)
	}
	slices.Sort(got) // the writes queued in whatever order their goroutines ran
	if want := "r0 r1 r2 r4 r5 r7 r8"; strings.Join(got, " ") != want {
		t.Errorf("rows = %v, want %s", got, want)
	}
	st := s.Stats()
	// The writes queued while the blocking write ran join its transaction
	// (the writer gathers again after each request): one commit for all.
	if c := st.Commits - before.Commits; c != 1 {
		t.Errorf("%d commits, want 1 (the blocker's, shared with the batch of %d queued meanwhile)", c, n)
	}
	if st.LargestBatch < n {
		t.Errorf("largest batch %d, want >= %d", st.LargestBatch, n)
	}
	if f := st.Failed - before.Failed; f != 2 {
		t.Errorf("Stats.Failed grew by %d, want 2", f)
	}
}

// A single-statement write has no savepoint: its failure (the disk's or the
// database's) fails its whole batch, and nothing of the batch is kept,
// rather than committing a transaction SQLite may have ended itself.
func TestFailingSingleWriteFailsItsBatch(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	release := blockWriterErr(s)
	boom := errors.New("disk full")
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.write(ctx, func(tx *sql.Tx) error {
				_, err := tx.Exec(`INSERT INTO rejections (received_at, reason) VALUES (?, 'kept?')`, i)
				return err
			})
		})
	}
	waitQueued(t, s, len(errs))
	single := make(chan error, 1)
	go func() { single <- s.writeSingle(ctx, func(*sql.Tx) error { return boom }) }()
	waitQueued(t, s, len(errs)+1)
	if err := release(); !errors.Is(err, boom) {
		t.Errorf("blocking write, in the same batch: %v, want the single write's error", err)
	}
	wg.Wait()
	if err := <-single; !errors.Is(err, boom) {
		t.Errorf("single write: %v, want its error", err)
	}
	for i, err := range errs {
		if !errors.Is(err, boom) {
			t.Errorf("write %d of the batch: %v, want the single write's error", i, err)
		}
	}
	if rows, err := s.ListRejections(ctx, RejectionFilter{}); err != nil || len(rows) != 0 {
		t.Errorf("rows kept from the failed batch: %d (%v), want none", len(rows), err)
	}
}

func TestCanceledWhileQueuedIsNotWritten(t *testing.T) {
	s := openTest(t)
	release := blockWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO rejections (received_at, reason) VALUES (1, 'late')`)
			return err
		})
	}()
	waitQueued(t, s, 1)
	cancel()
	release()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, rej, _ := s.LatestIDs(context.Background()); rej != 0 {
		t.Errorf("a write cancelled before it ran was committed (rejection id %d)", rej)
	}
}

func TestCloseDrainsQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipfwatch.db")
	s := openAt(t, path)
	release := blockWriter(t, s)
	const n = 20
	results := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.InsertEvent(context.Background(), testDelivery(i, base))
			results <- err
		}()
	}
	waitQueued(t, s, n)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	release()
	for range n {
		if err := <-results; err != nil {
			t.Errorf("queued write: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.write(context.Background(), func(*sql.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if _, err := s.InsertEvent(context.Background(), testDelivery(99, base)); !errors.Is(err, ErrClosed) {
		t.Errorf("InsertEvent after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	s2 := openAt(t, path)
	rows, err := s2.ListEvents(context.Background(), EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Errorf("%d events after reopen, want %d", len(rows), n)
	}
}
