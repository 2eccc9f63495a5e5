package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Refusals, wrapped with a message fit to show as is: an id that names no
// row, a proposal whose time to approve has passed, a decision or run that
// is no longer in the state the caller expected.
var (
	ErrNotFound = errors.New("not found")
	ErrExpired  = errors.New("proposal has expired")
	ErrDecided  = errors.New("already decided")
)

// defaultLimit is the page size when a filter leaves Limit at zero.
const defaultLimit = 100

func limitOrDefault(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return n
}

// noLimit turns "0 or less means all" into SQLite's LIMIT -1.
func noLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query on db and scans every row with scan. what names the
// query in errors ("query events").
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// conds collects the conditions of a WHERE clause with their arguments.
type conds struct {
	where []string
	args  []any
}

// add adds a condition; args fill its placeholders.
func (c *conds) add(cond string, args ...any) {
	c.where = append(c.where, cond)
	c.args = append(c.args, args...)
}

// page finishes a list query with the keyset paging every list shares:
// rows received since, with an id below beforeID (0: from the newest),
// newest first, at most limit (0: defaultLimit). It returns the WHERE,
// ORDER BY and LIMIT clauses and every argument.
func (c *conds) page(since time.Time, beforeID int64, limit int) (string, []any) {
	if !since.IsZero() {
		c.add("received_at >= ?", since.UnixMilli())
	}
	if beforeID > 0 {
		c.add("id < ?", beforeID)
	}
	q := ""
	if len(c.where) > 0 {
		q = " WHERE " + strings.Join(c.where, " AND ")
	}
	return q + " ORDER BY id DESC LIMIT ?", append(c.args, limitOrDefault(limit))
}

// params is n comma-separated placeholders, for an IN (...) list.
func params(n int) string {
	return "?" + strings.Repeat(", ?", n-1)
}
