package store

import (
	"cmp"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math"
	"runtime/debug"
	"slices"
)

// seen is the writer's in-memory index of the stored events' identities (key,
// body hash, completion), which tells a new delivery from a repeat, and of
// their snapshot ids, which finds a snapshot's events (EventsBySnapshot).
//
// Why not SQLite indexes: keys and body hashes are SHA-256 values, and
// IP Fabric's snapshot ids are UUIDs, so each new row lands on a random leaf
// of an index over them. With such an index every delivery dirtied a page of
// its own, which the commit writes to the WAL and fsyncs and the
// checkpointer copies back; measured with make load, each index cost about
// 40 µs of CPU per delivery, more than the durable floor's whole insert, and
// the snapshot index alone nearly doubled the bytes written per delivery.
// The rows keep the values; only the lookup moved here, and a delivery that
// is new (nearly all) costs no query.
//
// The index holds a hash of each value (64 bits, 32 in base), so a hit is only a
// candidate: the row is read and compared before a delivery is called a
// repeat (a hash collision, a pruned row or a rolled-back insert is then no
// match). A miss is certain, because the index holds every stored row: it
// is loaded on the first insert (lazily, so CLI commands that never insert
// pay nothing), and at the start of each write transaction it reads the rows
// with a higher id than it has seen. Under BEGIN IMMEDIATE no other process
// is inserting, and AUTOINCREMENT gives every new row a higher id than any
// before it, so that read finds everything other processes (ipfwatch
// catch-up on the command line, say) committed meanwhile.
//
// Only the writer goroutine uses it, so it has no lock.
type seen struct {
	seed   maphash.Seed
	h      maphash.Hash
	loaded bool
	upTo   int64  // every committed row with an id up to this is indexed
	synced uint64 // the write transaction it last caught up in
	// version is the writer connection's PRAGMA data_version when it last
	// caught up: it changes only when another connection commits, so an
	// unchanged one means nothing new to read.
	version int64
	// inserted is the highest id inserted in the current transaction: once
	// it commits, upTo moves past it, so sync need not read back the rows
	// just written.
	inserted int64

	// base holds the rows of the first load, sorted by hash: a slice sized
	// to fit, with 32 bits of each hash and the id in 32 bits (8 bytes an
	// entry; 100,000 events are about 400,000 entries, 3.2 MB), is a sixth
	// of a map's memory. 32 bits of hash give a false candidate, which
	// costs one read by id, once in some ten thousand lookups at that
	// size. Rows indexed after it, and ids past 32 bits, go to the maps.
	base []seenEntry
	ids  map[uint64]int64   // hash -> the first id added with it
	more map[uint64][]int64 // hash -> later ids with the same hash (rare)
}

type seenEntry struct {
	h  uint32 // the low half of the value's hash
	id uint32
}

// Kinds of value, hashed apart so that a key never matches a body hash.
const (
	seenKey byte = iota + 1
	seenBody
	seenCompletion
	seenSnapshot
)

func newSeen() *seen {
	s := &seen{seed: maphash.MakeSeed(), ids: map[uint64]int64{}, more: map[uint64][]int64{}}
	s.h.SetSeed(s.seed)
	return s
}

func (s *seen) hash(kind byte, v string) uint64 {
	s.h.Reset()
	s.h.WriteByte(kind)
	s.h.WriteString(v)
	return s.h.Sum64()
}

func (s *seen) hashBytes(kind byte, v []byte) uint64 {
	s.h.Reset()
	s.h.WriteByte(kind)
	s.h.Write(v)
	return s.h.Sum64()
}

// added indexes a row inserted in the current write transaction.
func (s *seen) added(id int64, key, sum, completion, snapshot string) {
	s.add(id, key, sum, completion, snapshot)
	s.inserted = max(s.inserted, id)
}

// ended is told whether the current write transaction committed. Before it
// began, sync had indexed every committed row, and while it ran no other
// process could insert; so after a commit every row up to the highest id
// it inserted is indexed. A transaction rolled back moves nothing: its ids
// may be handed out again, to rows sync must still read.
func (s *seen) ended(committed bool) {
	if committed && s.loaded {
		s.upTo = max(s.upTo, s.inserted)
	}
	s.inserted = 0
}

// add indexes one row's values; an empty completion key or snapshot id is
// not indexed.
func (s *seen) add(id int64, key, sum, completion, snapshot string) {
	s.put(s.hash(seenKey, key), id)
	s.put(s.hash(seenBody, sum), id)
	if completion != "" {
		s.put(s.hash(seenCompletion, completion), id)
	}
	if snapshot != "" {
		s.put(s.hash(seenSnapshot, snapshot), id)
	}
}

func (s *seen) put(h uint64, id int64) {
	first, ok := s.ids[h]
	switch {
	case !ok:
		s.ids[h] = id
	case first != id && !slices.Contains(s.more[h], id):
		s.more[h] = append(s.more[h], id)
	}
}

// candidates appends to dst the ids of rows that may hold key, sum or
// completion, in no particular order and possibly repeated.
func (s *seen) candidates(dst []int64, key, sum, completion string) []int64 {
	dst = s.lookUp(dst, s.hash(seenKey, key))
	dst = s.lookUp(dst, s.hash(seenBody, sum))
	if completion != "" {
		dst = s.lookUp(dst, s.hash(seenCompletion, completion))
	}
	return dst
}

// ofSnapshot returns the ids of committed rows that may be of snapshot,
// ascending and each once. Rows inserted by the current transaction are left
// out: it may yet roll back. Call it after sync.
func (s *seen) ofSnapshot(snapshot string) []int64 {
	ids := s.lookUp(nil, s.hash(seenSnapshot, snapshot))
	ids = slices.DeleteFunc(ids, func(id int64) bool { return id > s.upTo })
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (s *seen) lookUp(dst []int64, h uint64) []int64 {
	h32 := uint32(h)
	i, _ := slices.BinarySearchFunc(s.base, h32, func(e seenEntry, h uint32) int { return cmp.Compare(e.h, h) })
	for ; i < len(s.base) && s.base[i].h == h32; i++ {
		dst = append(dst, int64(s.base[i].id))
	}
	if id, ok := s.ids[h]; ok {
		dst = append(dst, id)
		dst = append(dst, s.more[h]...)
	}
	return dst
}

// sync indexes the rows committed since it last looked, once per write
// transaction (txSeq numbers them), when another connection has committed
// since; the first call indexes every row.
func (s *seen) sync(tx *sql.Tx, txSeq uint64) error {
	if s.loaded && s.synced == txSeq {
		return nil
	}
	var version int64
	if err := tx.QueryRow("PRAGMA data_version").Scan(&version); err != nil {
		return fmt.Errorf("index stored events: %w", err)
	}
	if s.loaded && version == s.version {
		s.synced = txSeq
		return nil
	}
	var base []seenEntry
	if !s.loaded {
		// Sized once for the most entries a row can give (key, body,
		// completion, snapshot): grown by append, it would leave about
		// four times its size behind as garbage, which stays in the
		// process's RSS long after. Capacity no row fills is, in a
		// fresh allocation, memory the kernel has not handed out yet.
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM events WHERE id > ?`, s.upTo).Scan(&n); err != nil {
			return fmt.Errorf("index stored events: %w", err)
		}
		base = make([]seenEntry, 0, 4*n)
	}
	rows, err := tx.Query(`SELECT id, dedupe_key, body_sha256, completion_key, snapshot_id FROM events WHERE id > ? ORDER BY id`, s.upTo)
	if err != nil {
		return fmt.Errorf("index stored events: %w", err)
	}
	defer rows.Close()
	upTo := s.upTo
	for rows.Next() {
		var id int64
		var key, sum, completion, snapshot sql.RawBytes // valid until Next: no copies
		if err := rows.Scan(&id, &key, &sum, &completion, &snapshot); err != nil {
			return fmt.Errorf("index stored events: %w", err)
		}
		upTo = id
		if s.loaded || id > math.MaxUint32 {
			s.add(id, string(key), string(sum), string(completion), string(snapshot))
			continue
		}
		id32 := uint32(id)
		base = append(base, seenEntry{uint32(s.hashBytes(seenKey, key)), id32}, seenEntry{uint32(s.hashBytes(seenBody, sum)), id32})
		if len(completion) > 0 {
			base = append(base, seenEntry{uint32(s.hashBytes(seenCompletion, completion)), id32})
		}
		if len(snapshot) > 0 {
			base = append(base, seenEntry{uint32(s.hashBytes(seenSnapshot, snapshot)), id32})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index stored events: %w", err)
	}
	if !s.loaded {
		slices.SortFunc(base, func(a, b seenEntry) int { return cmp.Or(cmp.Compare(a.h, b.h), cmp.Compare(a.id, b.id)) })
		s.base = base
		// Reading every row left garbage of about twice the index's size
		// (the driver copies each text column), which the runtime would
		// keep in RSS for minutes: a tray app's memory is judged idle.
		// Measured at 100,000 events: RSS 55 MB after the load, 36 MB
		// after this. It runs once per process.
		debug.FreeOSMemory()
	}
	s.upTo, s.loaded, s.synced, s.version = upTo, true, txSeq, version
	return nil
}

// matchQuery says whether the stored row id repeats a delivery: the same key,
// the same body, or the same completion when one side came from catch-up (a
// webhook after its catch-up event, or catch-up after the webhook: one
// snapshot completion is one event, whichever arrived first).
const matchQuery = `SELECT dedupe_key = ?1 OR body_sha256 = ?2
	OR (completion_key = ?3 AND completion_key <> '' AND (source = 'catch-up' OR ?4 = 'catch-up'))
	FROM events WHERE id = ?5`

// original returns the id of the stored event a delivery repeats, or 0.
func (s *seen) original(tx *sql.Tx, txSeq uint64, key, sum, completion, source string) (int64, error) {
	if err := s.sync(tx, txSeq); err != nil {
		return 0, err
	}
	var buf [4]int64
	cands := s.candidates(buf[:0], key, sum, completion)
	slices.Sort(cands)
	cands = slices.Compact(cands)
	for _, id := range cands { // ascending: the first match is the original
		var match bool
		err := tx.QueryRow(matchQuery, key, sum, completion, source, id).Scan(&match)
		if err == sql.ErrNoRows {
			continue // pruned, or an insert that was rolled back
		}
		if err != nil {
			return 0, fmt.Errorf("look up duplicate: %w", err)
		}
		if match {
			return id, nil
		}
	}
	return 0, nil
}
