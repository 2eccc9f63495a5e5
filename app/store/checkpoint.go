package store

import (
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite's WAL grows with every commit until a checkpoint copies it back
// into the database file. By default the connection whose commit crosses
// 1,000 pages does that checkpoint inside its COMMIT, which here is the one
// writer goroutine: every delivery waiting on that commit would wait for
// the copy and an extra fsync too. So the writer connection has
// wal_autocheckpoint off and a checkpointer goroutine, on its own
// connection, checkpoints in the background (PASSIVE: it never blocks the
// writer or readers). Durability is unchanged: a commit is durable once its
// WAL frames are synced, checkpointed or not.
//
// The checkpointer is driven by commits, never by a clock: the writer wakes
// it after every ckEveryCommits commits, and a one-shot timer, pushed back
// by each commit, wakes it once ckIdleAfter after the last one. With
// nothing written, nothing is armed and no goroutine wakes.
//
// A PASSIVE checkpoint copies the WAL back but does not empty it: SQLite
// starts the WAL over from its beginning only when a write transaction
// begins after every frame was copied. Under a steady stream of commits
// that moment never comes (frames keep arriving while a pass copies), the
// WAL grows without bound (285 MB for 20,000 deliveries was measured), and
// every page the writer reads is looked up in an ever longer WAL index.
// So once the WAL holds walRestartFrames frames, the checkpointer catches
// up in the background until only a few frames are left, then holds the
// writer between two transactions (ckMu) for a last short pass that copies
// everything; the writer's next BEGIN then restarts the WAL. The writer
// waits for at most those few frames and one fsync of the database file,
// once every walRestartFrames frames, never for a whole checkpoint.
//
// After a burst, the idle pass truncates the WAL file (TRUNCATE), so a
// quiet ipfwatch does not keep megabytes of dead WAL on disk.

const (
	// ckEveryCommits is how many commits wake the checkpointer for a
	// background pass; at ~5-30 frames a commit that is a few hundred to
	// a few thousand pages, SQLite's own default being 1,000.
	ckEveryCommits = 64
	// ckIdleAfter is how long after the last commit the idle pass runs.
	ckIdleAfter = 100 * time.Millisecond
	// walRestartFrames is the WAL length (in frames, ~4 KiB each) past
	// which the checkpointer makes the WAL start over.
	walRestartFrames = 4096
	// walResidualFrames is how few frames may be left uncopied when the
	// checkpointer holds the writer for its last pass.
	walResidualFrames = 256
	// maxCatchUpPasses bounds the background passes chasing the writer
	// before the holding pass, should the writer outrun the checkpointer.
	maxCatchUpPasses = 4
)

// checkpointer is the state shared by the writer and the checkpointer
// goroutine.
type checkpointer struct {
	db *sql.DB // the checkpointer's own connection

	// restartFrames is walRestartFrames; tests lower it (before the first
	// write: the wake-up channel orders that before any read of it).
	restartFrames int64

	// mu is held by the writer around each transaction and by the
	// checkpointer for a pass that must see no writer.
	mu sync.Mutex

	wake    chan struct{} // capacity 1: a pending wake-up
	stop    chan struct{}
	done    chan struct{}
	idle    *time.Timer // one-shot, reset by every commit
	isIdle  atomic.Bool // the next wake-up came from the idle timer
	commits atomic.Int64

	// For tests and Stats: how often the goroutine woke and how many
	// checkpoints it ran.
	wakes, passes atomic.Int64
	// restarts counts holding passes that copied the whole WAL, so that
	// the writer's next transaction starts it over.
	restarts atomic.Int64
}

func (s *Store) startCheckpointer() error {
	if _, err := s.writeDB.Exec("PRAGMA wal_autocheckpoint = 0"); err != nil {
		return fmt.Errorf("turn off autocheckpoint: %w", err)
	}
	db, err := sql.Open("sqlite3", fileURI(s.path)+"?_busy_timeout=1000")
	if err != nil {
		return fmt.Errorf("open checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ck := &checkpointer{
		db:            db,
		restartFrames: walRestartFrames,
		wake:          make(chan struct{}, 1),
		stop:          make(chan struct{}),
		done:          make(chan struct{}),
	}
	ck.idle = time.AfterFunc(time.Hour, func() {
		ck.isIdle.Store(true)
		ck.signal()
	})
	ck.idle.Stop()
	s.ck = ck
	go s.checkpointLoop()
	return nil
}

func (ck *checkpointer) signal() {
	select {
	case ck.wake <- struct{}{}:
	default:
	}
}

// committed is called by the writer after each commit.
func (ck *checkpointer) committed() {
	if ck.commits.Add(1) >= ckEveryCommits {
		ck.commits.Store(0)
		ck.signal()
	}
	ck.idle.Reset(ckIdleAfter)
}

func (s *Store) checkpointLoop() {
	ck := s.ck
	defer close(ck.done)
	for {
		select {
		case <-ck.stop:
			return
		case <-ck.wake:
		}
		ck.wakes.Add(1)
		if ck.isIdle.Swap(false) {
			// Nothing was committed for ckIdleAfter: copy everything
			// and cut the WAL file back to nothing. The writer is held
			// so that a delivery arriving now waits in-process for the
			// short pass rather than in SQLite's busy handler.
			ck.mu.Lock()
			ck.pass("TRUNCATE")
			ck.mu.Unlock()
			continue
		}
		log, copied, ok := ck.pass("PASSIVE")
		if !ok || log < ck.restartFrames {
			continue
		}
		for i := 0; ok && log-copied > walResidualFrames && i < maxCatchUpPasses; i++ {
			log, copied, ok = ck.pass("PASSIVE")
		}
		ck.mu.Lock()
		if log, copied, ok := ck.pass("PASSIVE"); ok && log == copied {
			ck.restarts.Add(1)
		}
		ck.mu.Unlock()
	}
}

// pass runs one checkpoint in mode and returns the WAL's length and how
// much of it is now copied, in frames. A failed pass (busy, say) is simply
// tried again on a later wake-up.
func (ck *checkpointer) pass(mode string) (log, copied int64, ok bool) {
	ck.passes.Add(1)
	var busy int64
	if err := ck.db.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &copied); err != nil {
		return 0, 0, false
	}
	return log, copied, busy == 0
}

func (s *Store) stopCheckpointer() error {
	if s.ck == nil {
		return nil
	}
	s.ck.idle.Stop()
	close(s.ck.stop)
	<-s.ck.done
	return s.ck.db.Close()
}
