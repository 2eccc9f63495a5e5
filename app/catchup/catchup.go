// Package catchup finds, in IP Fabric's REST API, the snapshots that
// finished while no webhook reached ipfwatch (the laptop asleep, off the
// VPN, ipfwatch not running: IP Fabric retries a delivery after 1, 2, 5 and
// 10 minutes, then drops it) and makes the events IP Fabric would have
// sent: snapshot discover completed, and intent-verification calculate
// completed when the snapshot's checks have results. They are marked as
// caught up (source "catch-up", requester "catch-up") and are then stored,
// enriched and matched like any other event; the store makes one event of
// a completion, however it arrived.
package catchup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Requester is the requester of a caught-up event.
const Requester = "catch-up"

// Client is what catch-up asks of IP Fabric. *ipf.Client implements it.
type Client interface {
	FinishedSnapshots(ctx context.Context, since time.Time) ([]ipf.SnapshotRow, error)
	Checks(ctx context.Context, snapshotID string) ([]ipf.Check, error)
}

// Store keeps a caught-up event unless the completion it reports is
// stored already, and says which it did.
type Store func(ctx context.Context, e webhook.Event) (added bool, err error)

// Run stores the events of the snapshots that finished since then and
// returns those it added (none for a completion already stored, so running
// it twice adds nothing).
func Run(ctx context.Context, c Client, store Store, since, now time.Time) ([]webhook.Event, error) {
	rows, err := c.FinishedSnapshots(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("catch-up: finished snapshots: %w", err)
	}
	var added []webhook.Event
	for _, row := range rows {
		snap := Event(row, webhook.TypeSnapshot, now)
		ok, err := store(ctx, snap)
		if err != nil {
			return added, err
		}
		if !ok {
			continue // its completion is stored: a webhook came, or an earlier catch-up
		}
		added = append(added, snap)
		checks, err := c.Checks(ctx, row.ID)
		if err != nil {
			// The discovery is stored; its intent verification is caught
			// up by the next run if the checks can be read then.
			return added, fmt.Errorf("catch-up: intent checks of snapshot %s: %w", row.ID, err)
		}
		if !hasResults(checks) {
			continue
		}
		intent := Event(row, webhook.TypeIntentVerification, now)
		if ok, err := store(ctx, intent); err != nil {
			return added, err
		} else if ok {
			added = append(added, intent)
		}
	}
	return added, nil
}

// hasResults reports whether intent verification produced anything for a
// snapshot: some check has rows of some colour.
func hasResults(checks []ipf.Check) bool {
	for _, k := range checks {
		if k.Green+k.Blue+k.Amber+k.Red > 0 {
			return true
		}
	}
	return false
}

// Event is the event of type typ (webhook.TypeSnapshot for the discovery,
// webhook.TypeIntentVerification for its intent verification) IP Fabric
// would have sent when the snapshot of row finished, received now. Its body
// is the JSON IP Fabric sends, timestamped when the snapshot ended.
func Event(row ipf.SnapshotRow, typ string, now time.Time) webhook.Event {
	ts := row.EndMS
	if ts == 0 {
		ts = now.UnixMilli()
	}
	p := webhook.Payload{Type: typ, Status: "completed", Requester: Requester, TimestampMillis: ts, SnapshotID: row.ID}
	body := map[string]any{"type": typ, "status": "completed", "requester": Requester, "timestamp": ts}
	if typ == webhook.TypeSnapshot {
		p.Action, p.SnapshotName = "discover", row.Name
		body["action"] = "discover"
		body["snapshot"] = map[string]any{"id": row.ID, "name": row.Name}
	} else {
		p.Action = "calculate"
		body["action"] = "calculate"
		body["snapshotId"] = row.ID
	}
	raw, _ := json.Marshal(body) // strings and numbers only: cannot fail
	sum := sha256.Sum256(raw)
	return webhook.Event{
		Payload: p, Body: raw, BodySHA256: hex.EncodeToString(sum[:]), Key: webhook.Key(p),
		ReceivedAt: now, Source: webhook.SourceCatchUp, RemoteAddr: "IP Fabric API", UserAgent: "ipfwatch catch-up",
	}
}
