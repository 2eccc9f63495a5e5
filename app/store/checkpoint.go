package store

import (
	"database/sql"
	"fmt"
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

// checkpointEvery is how often the checkpointer looks at the WAL.
const checkpointEvery = 200 * time.Millisecond

func (s *Store) startCheckpointer() error {
	if _, err := s.writeDB.Exec("PRAGMA wal_autocheckpoint = 0"); err != nil {
		return fmt.Errorf("turn off autocheckpoint: %w", err)
	}
	ck, err := sql.Open("sqlite3", fileURI(s.path)+"?_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("open checkpoint connection: %w", err)
	}
	ck.SetMaxOpenConns(1)
	s.ckDB = ck
	s.ckStop = make(chan struct{})
	s.ckDone = make(chan struct{})
	go s.checkpointer()
	return nil
}

func (s *Store) checkpointer() {
	defer close(s.ckDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-s.ckStop:
			return
		case <-t.C:
		}
		// Only when something was committed since the last look.
		if c := s.commits.Load(); c != last {
			last = c
			// A failed pass (busy, say) is simply tried again next time.
			s.ckDB.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

func (s *Store) stopCheckpointer() error {
	if s.ckDB == nil {
		return nil
	}
	close(s.ckStop)
	<-s.ckDone
	return s.ckDB.Close()
}
