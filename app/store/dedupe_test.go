package store

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Another process (ipfwatch catch-up on the command line beside a running
// serve) inserts into the same file: the in-memory index must learn of its
// rows before the next lookup, or a retry of its event would be stored twice.
func TestDuplicateOfAnotherProcessesEvent(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/ipfwatch.db"
	serve, cli := openAt(t, path), openAt(t, path)
	if _, err := serve.InsertEvent(ctx, testDelivery(1, base)); err != nil { // loads the index
		t.Fatal(err)
	}
	theirs, err := cli.InsertEvent(ctx, testDelivery(2, base))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(d *eventEdit)
	}{
		{"same key", func(d *eventEdit) { d.Body, d.BodySHA256 = []byte(" "+string(d.Body)), "" }},
		{"same body", func(d *eventEdit) { d.Key = "another key" }},
	} {
		d := retry(testDelivery(2, base))
		e := eventEdit{Body: d.Body, BodySHA256: d.BodySHA256, Key: d.Key}
		c.edit(&e)
		d.Body, d.BodySHA256, d.Key = e.Body, e.BodySHA256, e.Key
		res, err := serve.InsertEvent(ctx, d)
		if err != nil || !res.Duplicate || res.ID != theirs.ID {
			t.Errorf("%s: retry of the other process's event = %+v, %v; want a duplicate of %d", c.name, res, err, theirs.ID)
		}
	}
	// And the other way round: the other process, whose index was loaded
	// before serve's later inserts, recognises those.
	ours, err := serve.InsertEvent(ctx, testDelivery(3, base))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := cli.InsertEvent(ctx, retry(testDelivery(3, base))); err != nil || !res.Duplicate || res.ID != ours.ID {
		t.Errorf("other process: retry = %+v, %v; want a duplicate of %d", res, err, ours.ID)
	}
}

// retry is d as IP Fabric sends it again a minute later.
func retry(d webhook.Event) webhook.Event {
	d.ReceivedAt = d.ReceivedAt.Add(time.Minute)
	return d
}

type eventEdit struct {
	Body       []byte
	BodySHA256 string
	Key        string
}

// A pruned event is gone: its key arriving again is a new event, although
// the in-memory index still holds the hash.
func TestPrunedEventIsNoLongerAnOriginal(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	old, err := s.InsertEvent(ctx, testDelivery(1, base))
	if err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.Prune(ctx, Retention{Events: time.Hour}, base.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 event", n, err)
	}
	again := testDelivery(1, base)
	again.ReceivedAt = base.Add(2 * time.Hour)
	res, err := s.InsertEvent(ctx, again)
	if err != nil || res.Duplicate || res.ID == old.ID {
		t.Errorf("after prune: %+v, %v; want a new event, not %d", res, err, old.ID)
	}
}

// Reopening loads the index from the rows: a retry after a restart is a
// duplicate, and so is one of a row whose hash the index shares with another.
func TestIndexAfterReopenAndOnCollision(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/ipfwatch.db"
	s := openAt(t, path)
	first, err := s.InsertEvent(ctx, testDelivery(1, base))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	if res, err := s.InsertEvent(ctx, retry(testDelivery(1, base))); err != nil || !res.Duplicate || res.ID != first.ID {
		t.Errorf("after reopen: %+v, %v; want a duplicate of %d", res, err, first.ID)
	}
	// The loaded index keeps ids in 32 bits; a row with a larger id is
	// indexed all the same.
	const big = 1<<33 + 5
	if _, err := s.writeDB.Exec(`UPDATE events SET id = ? WHERE id = ?`, big, first.ID); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	if res, err := s.InsertEvent(ctx, retry(testDelivery(1, base))); err != nil || !res.Duplicate || res.ID != big {
		t.Errorf("retry of row %d: %+v, %v; want a duplicate of it", int64(big), res, err)
	}

	idx := newSeen()
	idx.put(42, 7)
	idx.put(42, 3)
	idx.put(42, 7)
	idx.put(42, 9)
	if got := idx.lookUp(nil, 42); !slices.Equal(got, []int64{7, 3, 9}) {
		t.Errorf("ids sharing a hash = %v, want [7 3 9]", got)
	}
	if got := idx.lookUp(nil, 43); len(got) != 0 {
		t.Errorf("unknown hash = %v, want none", got)
	}
}

// A snapshot's events are found through the in-memory index wherever they
// were stored: by this process, by another one on the same file, or before a
// restart; a pruned one is gone, and a row that only shares the snapshot id's
// hash is not one of them.
func TestEventsOfSnapshotFromEverywhere(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/ipfwatch.db"
	serve, cli := openAt(t, path), openAt(t, path)
	const snap = "5c6a3a4e-2f0d-4d6e-9a57-1f0b9c1d2e3f"
	insert := func(s *Store, i int, snapshot string, at time.Time) int64 {
		t.Helper()
		d := testDelivery(i, at)
		d.Payload.SnapshotID = snapshot
		res, err := s.InsertEvent(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	ofSnap := func(s *Store) []int64 {
		t.Helper()
		evs, err := s.EventsBySnapshot(ctx, snap, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, ev := range evs {
			if ev.Payload.SnapshotID != snap {
				t.Errorf("event %d is of snapshot %q", ev.ID, ev.Payload.SnapshotID)
			}
			ids = append(ids, ev.ID)
		}
		return ids
	}
	old := insert(serve, 1, snap, base)
	other := insert(serve, 2, "another-snapshot", base.Add(2*time.Hour))
	theirs := insert(cli, 3, snap, base.Add(2*time.Hour))
	ours := insert(serve, 4, snap, base.Add(2*time.Hour))
	want := []int64{old, theirs, ours}
	if got := ofSnap(serve); !slices.Equal(got, want) {
		t.Errorf("serve: %v, want %v", got, want)
	}
	if got := ofSnap(cli); !slices.Equal(got, want) {
		t.Errorf("the other process: %v, want %v", got, want)
	}
	serve.Close()
	serve = openAt(t, path)
	if got := ofSnap(serve); !slices.Equal(got, want) {
		t.Errorf("after reopen: %v, want %v", got, want)
	}

	// A collision: the other snapshot's row filed under this one's hash.
	if err := serve.write(ctx, func(*sql.Tx) error {
		serve.seen.put(serve.seen.hash(seenSnapshot, snap), other)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := serve.Prune(ctx, Retention{Events: time.Hour}, base.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 event", n, err)
	}
	if got, want := ofSnap(serve), []int64{theirs, ours}; !slices.Equal(got, want) {
		t.Errorf("after prune and a collision: %v, want %v", got, want)
	}
}
