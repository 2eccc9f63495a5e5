package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// pruneChunk is how many rows one retention transaction deletes. Deliveries
// wait for the writer while it prunes, so each chunk is kept short and the
// writer serves them between chunks. A variable so tests can shrink it.
var pruneChunk = 5000

// DefaultRetention keeps events 90 days and refused deliveries 30 days, and
// at most 100,000 of those: a flood of bad requests must not fill the disk.
func DefaultRetention() Retention {
	return Retention{
		Events:        90 * 24 * time.Hour,
		Rejections:    30 * 24 * time.Hour,
		MaxRejections: 100_000,
	}
}

// Prune deletes events and rejections that retention no longer keeps, as of
// now, and returns how many of each it deleted. Deleting an event also
// deletes its proposals and their runs. It works in chunks of pruneChunk rows,
// one Write each, so it never holds the writer for long.
func (s *Store) Prune(ctx context.Context, r Retention, now time.Time) (events, rejections int64, err error) {
	byAge := []struct {
		table string
		keep  time.Duration
		n     *int64
	}{{"events", r.Events, &events}, {"rejections", r.Rejections, &rejections}}
	for _, p := range byAge {
		if p.keep <= 0 {
			continue
		}
		n, err := s.deleteChunks(ctx, `DELETE FROM `+p.table+` WHERE id IN
			(SELECT id FROM `+p.table+` WHERE received_at < ? LIMIT ?)`, now.Add(-p.keep).UnixMilli())
		*p.n += n
		if err != nil {
			return events, rejections, fmt.Errorf("prune %s: %w", p.table, err)
		}
	}
	if r.MaxRejections > 0 {
		// Ids only grow, so keeping every id from the MaxRejections-th newest
		// on keeps at least MaxRejections rows even while new ones arrive.
		var cutoff int64
		err := s.readDB.QueryRowContext(ctx, `SELECT id FROM rejections ORDER BY id DESC LIMIT 1 OFFSET ?`,
			r.MaxRejections-1).Scan(&cutoff)
		switch {
		case errors.Is(err, sql.ErrNoRows): // fewer rows than the maximum
		case err != nil:
			return events, rejections, fmt.Errorf("prune rejections over %d: %w", r.MaxRejections, err)
		default:
			n, err := s.deleteChunks(ctx, `DELETE FROM rejections WHERE id IN
				(SELECT id FROM rejections WHERE id < ? ORDER BY id LIMIT ?)`, cutoff)
			rejections += n
			if err != nil {
				return events, rejections, fmt.Errorf("prune rejections over %d: %w", r.MaxRejections, err)
			}
		}
	}
	return events, rejections, nil
}

// deleteChunks runs query (whose parameters are arg and the chunk size) in
// separate writes until a chunk deletes fewer rows than its size.
func (s *Store) deleteChunks(ctx context.Context, query string, arg any) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.Exec(query, arg, pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(pruneChunk) {
			return total, nil
		}
	}
}

// RunRetention prunes at once and then every interval (an hour if every is
// not positive) until ctx is done or the store is closed. now is the clock
// (time.Now if nil), log receives what was deleted and what failed (slog's
// default logger if nil). A failed prune is logged and retried next time.
func (s *Store) RunRetention(ctx context.Context, r Retention, every time.Duration, now func() time.Time, log *slog.Logger) {
	if every <= 0 {
		every = time.Hour
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for !s.isClosed() {
		events, rejections, err := s.Prune(ctx, r, now())
		switch {
		case errors.Is(err, ErrClosed) || ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("retention: prune failed", "err", err, "events_deleted", events, "rejections_deleted", rejections)
		case events > 0 || rejections > 0:
			log.Info("retention: pruned", "events_deleted", events, "rejections_deleted", rejections)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
