package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// maxPreview is how much of a refused body is kept: enough to see what was
// sent, bounded so a flood of large bad requests cannot fill the disk.
const maxPreview = 4 << 10

// credentialHeaders are never stored with a rejection, whatever the listener
// hands over: a sender may put credentials in them, and the store must not
// become a place secrets leak to.
var credentialHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
}

const rejectionColumns = `id, received_at, remote_addr, method, path, user_agent, size, status,
	reason, hint, signature, body_sha256, body_preview, headers`

// InsertRejection records a refused delivery and returns its id once
// committed.
func (s *Store) InsertRejection(ctx context.Context, r webhook.Rejection) (int64, error) {
	preview := r.BodyPreview
	if len(preview) > maxPreview {
		preview = preview[:maxPreview]
	}
	headers, err := encodeHeaders(r.Headers)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO rejections (received_at, remote_addr, method, path,
			user_agent, size, status, reason, hint, signature, body_sha256, body_preview, headers)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ReceivedAt.UnixMilli(), r.RemoteAddr, r.Method, r.Path, r.UserAgent, r.Size,
			r.Status, r.Reason, r.Hint, r.Signature, r.BodySHA256, preview, headers)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store rejection: %w", err)
	}
	return id, nil
}

// GetRejection returns one refused delivery.
func (s *Store) GetRejection(ctx context.Context, id int64) (webhook.Rejection, error) {
	row := s.readDB.QueryRowContext(ctx, `SELECT `+rejectionColumns+` FROM rejections WHERE id = ?`, id)
	var rr webhook.Rejection
	err := scanRejection(row, &rr)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Rejection{}, fmt.Errorf("rejection %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return webhook.Rejection{}, fmt.Errorf("rejection %d: %w", id, err)
	}
	return rr, nil
}

// ListRejections returns one page of refused deliveries, newest first, paged
// by id like ListEvents.
func (s *Store) ListRejections(ctx context.Context, f RejectionFilter) ([]webhook.Rejection, error) {
	var c conds
	clauses, args := c.page(f.Since, f.BeforeID, f.Limit)
	q := `SELECT ` + rejectionColumns + ` FROM rejections` + clauses
	return queryAll(ctx, s.readDB, "query rejections", func(sc scanner) (rr webhook.Rejection, err error) {
		return rr, scanRejection(sc, &rr)
	}, q, args...)
}

func scanRejection(sc scanner, rr *webhook.Rejection) error {
	var received int64
	var headers string
	if err := sc.Scan(&rr.ID, &received, &rr.RemoteAddr, &rr.Method, &rr.Path, &rr.UserAgent,
		&rr.Size, &rr.Status, &rr.Reason, &rr.Hint, &rr.Signature, &rr.BodySHA256,
		&rr.BodyPreview, &headers); err != nil {
		return err
	}
	rr.ReceivedAt = time.UnixMilli(received)
	if headers != "" && headers != "{}" {
		if err := json.Unmarshal([]byte(headers), &rr.Headers); err != nil {
			return fmt.Errorf("rejection %d headers: %w", rr.ID, err)
		}
	}
	return nil
}

// encodeHeaders stores headers as a JSON object, leaving out credentials.
func encodeHeaders(h map[string]string) (string, error) {
	if len(h) == 0 {
		return "{}", nil
	}
	kept := make(map[string]string, len(h))
	for k, v := range h {
		if credentialHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		kept[k] = v
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return "", fmt.Errorf("encode headers: %w", err)
	}
	return string(b), nil
}
