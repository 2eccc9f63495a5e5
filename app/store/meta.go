package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Facts of the data directory kept in meta.
const (
	// MetaFirstUsed is when this database was first opened: catch-up never
	// asks IP Fabric for anything older.
	MetaFirstUsed = "first_used_at"
	// MetaLastRan is when an ipfwatch last ran on it with IP Fabric's API
	// configured: catch-up at start covers the time since.
	MetaLastRan = "last_ran_at"
)

// MetaTime returns a time kept in meta, zero when it is not set.
func (s *Store) MetaTime(ctx context.Context, key string) (time.Time, error) {
	var v sql.NullInt64 // NULL when the key is not set
	err := s.readDB.QueryRowContext(ctx, `SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?)`, key).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s: %w", key, err)
	}
	return nullMS(v), nil
}

// SetMetaTime keeps a time in meta; with onlyIfUnset it keeps the one
// already there, and writes nothing when there is one (every Open asks, CLI
// commands that only read included).
func (s *Store) SetMetaTime(ctx context.Context, key string, t time.Time, onlyIfUnset bool) error {
	if onlyIfUnset {
		if had, err := s.MetaTime(ctx, key); err == nil && !had.IsZero() {
			return nil
		}
	}
	q := `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	if onlyIfUnset {
		q = `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(q, key, fmt.Sprint(t.UnixMilli()))
		return err
	})
	if err != nil {
		return fmt.Errorf("keep %s: %w", key, err)
	}
	return nil
}
