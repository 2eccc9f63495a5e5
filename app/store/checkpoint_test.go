package store

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// walSize is the size of the store's WAL file, 0 when there is none.
func walSize(t *testing.T, s *Store) int64 {
	t.Helper()
	fi, err := os.Stat(s.Path() + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// waitFor polls cond until it holds, failing after a generous deadline:
// the checkpointer works in the background, and only its outcome is
// asserted, not how fast it gets there.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCheckpointerBoundsWALUnderLoad writes a burst long enough to fill the
// WAL several times over from many goroutines at once, so commits never
// stop while the checkpointer works. The WAL must be started over during
// the burst (without that it grows for as long as the burst lasts), every
// event must be there, and once the burst is over the WAL file is cut back
// to nothing.
func TestCheckpointerBoundsWALUnderLoad(t *testing.T) {
	s := openTest(t)
	// A WAL limit well below what the burst writes, however large the
	// batches (and so however few frames a delivery) on this machine.
	s.ck.restartFrames = 512
	const n, workers = 4000, 16
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if _, err := s.InsertEvent(context.Background(), testDelivery(i, base)); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if got := s.ck.restarts.Load(); got == 0 {
		t.Errorf("WAL never started over during a burst of %d events (%d checkpoint passes)", n, s.Stats().Checkpoints)
	}
	waitFor(t, "WAL truncated after the burst", func() bool { return walSize(t, s) == 0 })
	var count int
	if err := s.readDB.QueryRow("SELECT count(*) FROM events").Scan(&count); err != nil || count != n {
		t.Errorf("events after checkpoints: %d, %v; want %d", count, err, n)
	}
}

// TestCheckpointerSleepsWhenIdle checks that the checkpointer has no clock
// of its own: it does not wake while nothing is written, wakes once after
// a write (the idle pass, which empties the WAL), and then sleeps again.
func TestCheckpointerSleepsWhenIdle(t *testing.T) {
	s := openTest(t)
	time.Sleep(5 * ckIdleAfter)
	if w := s.ck.wakes.Load(); w != 0 {
		t.Fatalf("checkpointer woke %d times with nothing written", w)
	}
	if _, err := s.InsertEvent(context.Background(), testDelivery(1, base)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "idle pass after one write", func() bool { return s.ck.wakes.Load() == 1 && walSize(t, s) == 0 })
	time.Sleep(5 * ckIdleAfter)
	if w, p := s.ck.wakes.Load(), s.Stats().Checkpoints; w != 1 || p != 1 {
		t.Errorf("after one write and a quiet spell: %d wake-ups, %d passes; want 1 and 1", w, p)
	}
	// The event is in the database file itself now, not only in the WAL.
	if ev, err := s.GetEvent(context.Background(), 1); err != nil || ev.ID != 1 {
		t.Errorf("GetEvent after truncating checkpoint: %+v, %v", ev, err)
	}
}
