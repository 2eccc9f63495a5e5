// Package store keeps everything ipfwatch records in one SQLite file: events,
// rejected deliveries, remediation proposals and runs.
//
// One goroutine owns the only write connection. Callers hand it a function to
// run inside a transaction; it gathers whatever is waiting into a single
// BEGIN IMMEDIATE ... COMMIT and answers each caller after the commit. One
// fsync thus serves many deliveries (group commit), and nothing is reported
// written before it is on disk. Readers use a separate pool: WAL lets them read
// while the writer writes.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver
)

// ErrClosed is returned by every write after Close.
var ErrClosed = errors.New("store: closed")

// maxBatch bounds how many writes share one transaction, so one commit never
// waits on an unbounded queue.
const maxBatch = 256

// Store is the SQLite database. Its methods are safe for concurrent use.
type Store struct {
	path    string
	writeDB *sql.DB
	readDB  *sql.DB

	reqs      chan writeReq
	batch     []writeReq // the writer's, reused from one commit to the next
	errs      []error
	abortErr  error // why runOne answered errAbort
	closeOnce sync.Once
	done      chan struct{}
	mu        sync.RWMutex // guards closed against concurrent write/Close
	closed    bool

	commits      atomic.Int64
	writes       atomic.Int64
	failed       atomic.Int64
	largestBatch atomic.Int64

	ck *checkpointer

	// The writer goroutine's own: the number of the current write
	// transaction, and the index of stored events (dedupe.go).
	txSeq uint64
	seen  *seen
}

type writeReq struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	// single says fn changes the database with one statement at most, as
	// its last step: see writeSingle.
	single bool
	reply  chan error
}

// Stats counts what the writer goroutine has done since Open. Writes divided
// by Commits is the average group-commit batch size: how many callers one
// fsync served.
type Stats struct {
	Commits      int64 // transactions committed
	Writes       int64 // write calls whose changes were committed
	Failed       int64 // write calls answered with an error
	LargestBatch int64 // most requests gathered into one transaction
	Checkpoints  int64 // checkpoint passes run by the checkpointer
}

// Stats returns the writer's counters.
func (s *Store) Stats() Stats {
	return Stats{
		Commits:      s.commits.Load(),
		Writes:       s.writes.Load(),
		Failed:       s.failed.Load(),
		LargestBatch: s.largestBatch.Load(),
		Checkpoints:  s.ck.passes.Load(),
	}
}

// fileURI turns a file system path into an SQLite URI. The path is escaped
// because both the driver (which splits the DSN at the first '?') and SQLite
// (which ends the path at '#' and decodes '%XX') would otherwise misread a
// data directory whose name contains one of those characters.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	p = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
	switch {
	case filepath.VolumeName(path) != "": // C:/... on Windows
		return "file:///" + p
	case strings.HasPrefix(p, "/"):
		// An empty authority, so that a path starting with "//" is not
		// taken for a host name.
		return "file://" + p
	default:
		return "file:" + p
	}
}

// Open opens (creating if needed) the database at path, applies pending
// migrations and starts the writer goroutine.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "32")
	w, err := sql.Open("sqlite3", fileURI(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrateRetrying(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	rq := url.Values{}
	rq.Set("_busy_timeout", "10000")
	rq.Set("_query_only", "1")
	rq.Set("_stmt_cache_size", "32")
	r, err := sql.Open("sqlite3", fileURI(path)+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s := &Store{path: path, writeDB: w, readDB: r, reqs: make(chan writeReq, maxBatch), done: make(chan struct{}), seen: newSeen()}
	if err := s.startCheckpointer(); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

// openBusyWait is how long Open keeps retrying a database that another
// process is setting up at the same moment.
const openBusyWait = 10 * time.Second

// migrateRetrying runs migrate, retrying while SQLite answers SQLITE_BUSY.
// When two processes (the tray app and the CLI) create the database together,
// the PRAGMA journal_mode=WAL the driver runs on connect fails at once with
// SQLITE_BUSY instead of waiting out busy_timeout. It is only ever a race at
// start-up, so waiting a little and trying again is the whole cure.
func migrateRetrying(db *sql.DB) error {
	deadline := time.Now().Add(openBusyWait)
	for {
		err := migrate(db)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// write runs fn inside a write transaction shared with other waiting writes
// and returns once that transaction has committed (nil) or failed. fn runs
// inside its own savepoint: if it returns an error (or panics), only its
// changes are undone and the error is returned to this caller alone.
//
// fn runs on the writer goroutine, so it must not commit or roll back tx,
// nor call runtime.Goexit (t.Fatal in a test): that would end the writer.
// It should use tx.Exec rather than tx.ExecContext with a caller's context:
// cancelling a running statement interrupts SQLite, which aborts the whole
// shared transaction (every caller in the batch then gets the error).
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(writeReq{ctx: ctx, fn: fn})
}

// writeSingle is write for a function that changes the database with one
// statement at most, as its last step, and fails only if that statement
// fails (or before it). SQLite undoes a failed statement by itself, so fn
// needs no savepoint: two fewer statements for every delivery stored. What
// could make such a statement fail is the disk or the database (full, I/O
// error, corrupt), which breaks every write of the batch alike, so an error
// from fn fails the whole batch, as a failed commit would, rather than
// trusting a transaction SQLite may have rolled back on its own.
func (s *Store) writeSingle(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(writeReq{ctx: ctx, fn: fn, single: true})
}

func (s *Store) enqueue(req writeReq) error {
	ctx := req.ctx
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	req.reply = make(chan error, 1)
	select {
	case s.reqs <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued, wait for the commit even if ctx ends: the caller must
	// learn whether its write landed.
	return <-req.reply
}

func (s *Store) writer() {
	defer close(s.done)
	for first := range s.reqs {
		s.ck.mu.Lock()
		s.commit(first)
		s.ck.mu.Unlock()
		s.ck.committed()
	}
}

// gather appends to batch whatever is queued now, without waiting, up to
// maxBatch.
func (s *Store) gather(batch []writeReq) []writeReq {
	for len(batch) < maxBatch {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return batch // closed: the writer's range loop ends next
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commit runs first, and every request queued while the transaction is
// open, in one transaction, each request in its own savepoint. Requests
// are gathered again after each one has run, not only once before BEGIN:
// those that arrived while the batch was running then share this commit's
// fsync instead of waiting for the next one. That makes batches larger
// (fewer, fuller commits: less WAL written per delivery) and shortens the
// late arrivals' wait.
func (s *Store) commit(first writeReq) {
	batch := s.gather(append(s.batch[:0], first))
	errs := s.errs[:0]
	defer func() {
		clear(batch) // drop the callers' closures until the next batch
		s.batch, s.errs = batch[:0], errs[:0]
	}()
	fail := func(err error) {
		s.failed.Add(int64(len(batch)))
		for _, r := range batch {
			r.reply <- err
		}
	}
	tx, err := s.writeDB.Begin()
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	s.txSeq++
	committed := false
	defer func() { s.seen.ended(committed) }()
	for i := 0; i < len(batch); i++ {
		r := batch[i]
		errs = append(errs, s.runOne(tx, r))
		if errs[i] == errAbort {
			tx.Rollback()
			fail(s.abortErr)
			return
		}
		if i == len(batch)-1 {
			batch = s.gather(batch)
		}
	}
	if n := int64(len(batch)); n > s.largestBatch.Load() {
		s.largestBatch.Store(n) // only the writer goroutine stores
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	committed = true
	s.commits.Add(1)
	for i, r := range batch {
		if errs[i] == nil {
			s.writes.Add(1)
		} else {
			s.failed.Add(1)
		}
		r.reply <- errs[i]
	}
}

// errAbort, returned by runOne, means the shared transaction is broken
// (s.abortErr says how) and every caller in the batch must be failed.
var errAbort = errors.New("store: transaction aborted")

// runOne runs one request inside a savepoint: its changes are kept if fn
// succeeds and undone alone if it fails.
func (s *Store) runOne(tx *sql.Tx, r writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if r.single {
		if err := runFn(tx, r.fn); err != nil {
			s.abortErr = err
			return errAbort
		}
		return nil
	}
	if _, err := tx.Exec("SAVEPOINT w"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	ferr := runFn(tx, r.fn)
	if ferr != nil {
		if _, rerr := tx.Exec("ROLLBACK TO w"); rerr != nil {
			s.abortErr = fmt.Errorf("rollback to savepoint after %v: %w", ferr, rerr)
			return errAbort
		}
	}
	if _, err := tx.Exec("RELEASE w"); err != nil {
		s.abortErr = fmt.Errorf("release savepoint: %w", err)
		return errAbort
	}
	return ferr
}

// runFn calls fn, turning a panic into an error: a bug in one caller's
// function must neither kill the writer goroutine (leaving every other caller
// waiting forever) nor commit that caller's half-done changes.
func runFn(tx *sql.Tx, fn func(tx *sql.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write function panicked: %v", p)
		}
	}()
	return fn(tx)
}

// isClosed reports whether Close has been called.
func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// Close stops the writer after it has committed everything queued, then
// closes both pools.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.reqs)
		s.mu.Unlock()
		<-s.done
		err = errors.Join(s.stopCheckpointer(), s.writeDB.Close(), s.readDB.Close())
	})
	return err
}
