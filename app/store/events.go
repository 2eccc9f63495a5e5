package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// eventColumns are the columns every event query reads, in scanEvent order.
const eventColumns = `id, received_at, last_seen_at, type, action, status, reason, requester,
	event_ts, test, snapshot_id, snapshot_name, clone_id, file, report_ids, unrecognised,
	remote_addr, user_agent, secret_matched, duplicates, body_sha256, source`

// InsertEvent stores an accepted delivery, or counts it as a duplicate of the
// stored event with the same key or the same body hash (IP Fabric retries the
// same delivery, and a retry must not be stored twice). It returns only after
// the transaction has committed, so a nil error means the event is on disk
// and may be acknowledged.
func (s *Store) InsertEvent(ctx context.Context, d webhook.Event) (Inserted, error) {
	// Encode outside the writer goroutine: it is the one shared resource.
	sum := d.BodySHA256
	if sum == "" {
		h := sha256.Sum256(d.Body)
		sum = hex.EncodeToString(h[:])
	}
	key := d.Key
	if key == "" {
		// Without a key every keyless event would be a duplicate of the
		// first one; fall back to de-duplicating by body alone.
		key = "sha256:" + sum
	}
	body := d.Body
	if body == nil {
		body = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	reportIDs, err := encodeList(d.ReportIDs)
	if err != nil {
		return Inserted{}, err
	}
	unrecognised := encodeCSV(d.Unrecognised)
	received := d.ReceivedAt.UnixMilli()
	e := d.Payload
	source := d.Source
	if source == "" {
		source = webhook.SourceWebhook
	}
	completion := webhook.CompletionKey(e)

	// The arguments are boxed here, outside the writer goroutine: it is the
	// one shared resource.
	args := []any{received, received, e.Type, e.Action, e.Status, e.Reason, e.Requester,
		e.TimestampMillis, e.Test, e.SnapshotID, e.SnapshotName, e.CloneID, e.File,
		reportIDs, unrecognised, d.RemoteAddr, d.UserAgent, d.SecretMatched, key, sum, body,
		source, completion}
	var res Inserted
	err = s.writeSingle(ctx, func(tx *sql.Tx) error {
		orig, err := s.seen.original(tx, s.txSeq, key, sum, completion, source)
		if err != nil {
			return err
		}
		if orig != 0 {
			// duplicates counts IP Fabric's repeats; catch-up finding what
			// is stored already is not one.
			if source != webhook.SourceCatchUp {
				if _, err := tx.Exec(`UPDATE events SET duplicates = duplicates + 1,
					last_seen_at = max(last_seen_at, ?) WHERE id = ?`, received, orig); err != nil {
					return fmt.Errorf("count duplicate: %w", err)
				}
			}
			res = Inserted{ID: orig, Duplicate: true}
			return nil
		}
		r, err := tx.Exec(insertEvent, args...)
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		id, err := r.LastInsertId()
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		s.seen.added(id, key, sum, completion, e.SnapshotID)
		res = Inserted{ID: id}
		return nil
	})
	if err != nil {
		return Inserted{}, fmt.Errorf("store event: %w", err)
	}
	return res, nil
}

const insertEvent = `INSERT INTO events (received_at, last_seen_at, type, action, status,
	reason, requester, event_ts, test, snapshot_id, snapshot_name, clone_id, file,
	report_ids, unrecognised, remote_addr, user_agent, secret_matched, dedupe_key,
	body_sha256, duplicates, body, source, completion_key)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`

// Inserted says what InsertEvent did: stored a new event, or counted a
// duplicate of the stored one with this id.
type Inserted struct {
	ID        int64
	Duplicate bool
}

// GetEvent returns one event with its raw body.
func (s *Store) GetEvent(ctx context.Context, id int64) (webhook.Event, error) {
	row := s.readDB.QueryRowContext(ctx, `SELECT `+eventColumns+`, body FROM events WHERE id = ?`, id)
	var ev webhook.Event
	err := scanEvent(row, &ev, &ev.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Event{}, fmt.Errorf("event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return webhook.Event{}, fmt.Errorf("event %d: %w", id, err)
	}
	if ev.Body == nil {
		ev.Body = []byte{}
	}
	return ev, nil
}

// ListEvents returns one page of events, newest first, without bodies. Paging
// is by id (pass the last row's ID as the next BeforeID) rather than OFFSET,
// so a page costs the same however deep it is and rows arriving meanwhile do
// not shift it. It never counts the total: with 100,000 rows that would cost
// more than the page.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]webhook.Event, error) {
	var c conds
	if f.Type != "" {
		c.add("type = ?", f.Type)
	}
	if f.Status != "" {
		c.add("status = ?", f.Status)
	}
	if f.Search != "" {
		p := "%" + escapeLike(f.Search) + "%"
		c.add(`(snapshot_name LIKE ? ESCAPE '\' OR snapshot_id LIKE ? ESCAPE '\' OR reason LIKE ? ESCAPE '\')`, p, p, p)
	}
	clauses, args := c.page(f.Since, f.BeforeID, f.Limit)
	return s.queryEvents(ctx, `SELECT `+eventColumns+` FROM events`+clauses, args...)
}

// EventsBySnapshot returns the events of one snapshot, oldest first, so a
// discovery can be followed by the intent verification it triggered. An
// empty snapshotID matches nothing.
//
// The snapshot ids are looked up in the writer's in-memory index (see
// seen), so this runs on the writer goroutine, inside its transaction:
// each candidate is then read by id and compared, and only committed rows
// are candidates.
func (s *Store) EventsBySnapshot(ctx context.Context, snapshotID string, limit int) ([]webhook.Event, error) {
	if snapshotID == "" {
		return nil, nil
	}
	limit = limitOrDefault(limit)
	var evs []webhook.Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.seen.sync(tx, s.txSeq); err != nil {
			return err
		}
		for _, id := range s.seen.ofSnapshot(snapshotID) {
			var ev webhook.Event
			err := scanEvent(tx.QueryRow(`SELECT `+eventColumns+` FROM events WHERE id = ? AND snapshot_id = ?`, id, snapshotID), &ev)
			if errors.Is(err, sql.ErrNoRows) {
				continue // pruned, or another snapshot's id with the same hash
			}
			if err != nil {
				return fmt.Errorf("event %d: %w", id, err)
			}
			if evs = append(evs, ev); len(evs) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events of snapshot %q: %w", snapshotID, err)
	}
	return evs, nil
}

// CountSince counts events and rejections received at or after since. Both
// counts are range scans of the received_at indexes, so "3 events today"
// stays cheap on a full database.
func (s *Store) CountSince(ctx context.Context, since time.Time) (events, rejections int64, err error) {
	ms := since.UnixMilli()
	err = s.readDB.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM events WHERE received_at >= ?),
		(SELECT count(*) FROM rejections WHERE received_at >= ?)`, ms, ms).Scan(&events, &rejections)
	if err != nil {
		return 0, 0, fmt.Errorf("count since %s: %w", since.Format(time.RFC3339), err)
	}
	return events, rejections, nil
}

// LatestIDs returns the highest event and rejection ids ever issued (0 when
// none), for cheap "anything new?" checks. They come from sqlite_sequence,
// so they never go down, even after retention has deleted the newest rows.
func (s *Store) LatestIDs(ctx context.Context) (event, rejection int64, err error) {
	err = s.readDB.QueryRowContext(ctx, `SELECT
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'rejections'), 0)`).Scan(&event, &rejection)
	if err != nil {
		return 0, 0, fmt.Errorf("latest ids: %w", err)
	}
	return event, rejection, nil
}

func (s *Store) queryEvents(ctx context.Context, q string, args ...any) ([]webhook.Event, error) {
	return queryAll(ctx, s.readDB, "query events", func(sc scanner) (ev webhook.Event, err error) {
		return ev, scanEvent(sc, &ev)
	}, q, args...)
}

// scanEvent reads eventColumns, then any extra destinations, into ev.
func scanEvent(sc scanner, ev *webhook.Event, extra ...any) error {
	var received, lastSeen int64
	var reportIDs, unrecognised string
	dest := append([]any{&ev.ID, &received, &lastSeen, &ev.Type, &ev.Action, &ev.Status,
		&ev.Reason, &ev.Requester, &ev.TimestampMillis, &ev.Test, &ev.SnapshotID, &ev.SnapshotName,
		&ev.CloneID, &ev.File, &reportIDs, &unrecognised, &ev.RemoteAddr, &ev.UserAgent,
		&ev.SecretMatched, &ev.Duplicates, &ev.BodySHA256, &ev.Source}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	ev.ReceivedAt = time.UnixMilli(received)
	ev.LastSeenAt = time.UnixMilli(lastSeen)
	var err error
	if ev.ReportIDs, err = decodeList(reportIDs); err != nil {
		return fmt.Errorf("event %d report_ids: %w", ev.ID, err)
	}
	ev.Unrecognised = decodeCSV(unrecognised)
	return nil
}

// escapeLike makes s match itself literally in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// encodeList stores a list as a JSON array, or "" when it is empty.
func encodeList(v []string) (string, error) {
	if len(v) == 0 {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	return string(b), nil
}

func decodeList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeCSV joins items with commas, percent-escaping '%' and ',' inside an
// item: unrecognised entries carry field names from the sender, which may
// contain a comma, and must come back as they went in.
func encodeCSV(v []string) string {
	esc := strings.NewReplacer("%", "%25", ",", "%2C")
	parts := make([]string, len(v))
	for i, s := range v {
		parts[i] = esc.Replace(s)
	}
	return strings.Join(parts, ",")
}

func decodeCSV(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if strings.Contains(p, "%") {
			if u, err := url.PathUnescape(p); err == nil {
				parts[i] = u
			}
		}
	}
	return parts
}
