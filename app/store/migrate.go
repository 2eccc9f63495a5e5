package store

import (
	"database/sql"
	"fmt"
)

// migrations are applied in order; PRAGMA user_version records how many
// have run. Never edit a step that has shipped: append a new one.
//
// Ids are AUTOINCREMENT so that an id, once answered to IP Fabric or shown to
// an engineer, is never handed out again after retention deletes the newest
// rows: "approve proposal 7" must never reach a different command, and
// "anything newer than id N?" must stay true after a prune.
var migrations = []string{
	// 1: events, rejections, remediation.
	`
CREATE TABLE events (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at    INTEGER NOT NULL, -- unix ms, first delivery
	last_seen_at   INTEGER NOT NULL, -- unix ms, latest duplicate
	type           TEXT NOT NULL,
	action         TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL DEFAULT '',
	reason         TEXT NOT NULL DEFAULT '',
	requester      TEXT NOT NULL DEFAULT '',
	event_ts       INTEGER NOT NULL, -- epoch ms as sent (normalised)
	test           INTEGER NOT NULL DEFAULT 0,
	snapshot_id    TEXT NOT NULL DEFAULT '',
	snapshot_name  TEXT NOT NULL DEFAULT '',
	clone_id       TEXT NOT NULL DEFAULT '',
	file           TEXT NOT NULL DEFAULT '',
	report_ids     TEXT NOT NULL DEFAULT '', -- JSON array
	unrecognised   TEXT NOT NULL DEFAULT '', -- comma separated
	remote_addr    TEXT NOT NULL DEFAULT '',
	user_agent     TEXT NOT NULL DEFAULT '',
	secret_matched TEXT NOT NULL DEFAULT '',
	dedupe_key     TEXT NOT NULL,
	body_sha256    TEXT NOT NULL,
	duplicates     INTEGER NOT NULL DEFAULT 0,
	body           BLOB NOT NULL
);
CREATE UNIQUE INDEX events_key ON events(dedupe_key);
CREATE INDEX events_body ON events(body_sha256);
CREATE INDEX events_received ON events(received_at);
CREATE INDEX events_snapshot ON events(snapshot_id) WHERE snapshot_id <> '';

CREATE TABLE rejections (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at  INTEGER NOT NULL, -- unix ms
	remote_addr  TEXT NOT NULL DEFAULT '',
	method       TEXT NOT NULL DEFAULT '',
	path         TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	status       INTEGER NOT NULL DEFAULT 0,
	reason       TEXT NOT NULL,
	hint         TEXT NOT NULL DEFAULT '',
	signature    TEXT NOT NULL DEFAULT '', -- as received, never computed
	body_sha256  TEXT NOT NULL DEFAULT '',
	body_preview BLOB,                     -- first 4 KiB
	headers      TEXT NOT NULL DEFAULT '{}' -- JSON object
);
CREATE INDEX rejections_received ON rejections(received_at);

CREATE TABLE proposals (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	rule         TEXT NOT NULL,
	manual       INTEGER NOT NULL DEFAULT 0, -- started by hand
	state        TEXT NOT NULL,              -- pending, expired, rejected, approved, running, succeeded, failed, cancelled, timed_out, interrupted
	argv         TEXT NOT NULL,              -- JSON array, resolved at proposal time
	env          TEXT NOT NULL,              -- JSON object of variables the rule adds
	workdir      TEXT NOT NULL DEFAULT '',
	timeout_ms   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	decided_at   INTEGER,
	decided_by   TEXT NOT NULL DEFAULT '',
	comment      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX proposals_once ON proposals(event_id, rule) WHERE manual = 0;
-- The partial index above cannot serve ON DELETE CASCADE from events; without
-- this one, pruning each event would scan all proposals.
CREATE INDEX proposals_event ON proposals(event_id);
CREATE INDEX proposals_state ON proposals(state);

CREATE TABLE runs (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	proposal_id  INTEGER NOT NULL UNIQUE REFERENCES proposals(id) ON DELETE CASCADE,
	state        TEXT NOT NULL,   -- queued, running, succeeded, failed, cancelled, timed_out, interrupted
	approved_by  TEXT NOT NULL,
	approved_at  INTEGER NOT NULL,
	started_at   INTEGER,
	ended_at     INTEGER,
	exit_code    INTEGER,
	pid          INTEGER,
	output       BLOB NOT NULL DEFAULT x'',
	truncated    INTEGER NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_state ON runs(state);
`,
	// 2: a proposal records only its decision (pending, approved, rejected).
	// Its state is derived from that, its expiry and its run's state (see
	// proposalState); version 1 also stored the run's state and swept
	// expiry into the row, so the two could disagree.
	`
UPDATE proposals SET state = 'approved' WHERE id IN (SELECT proposal_id FROM runs);
UPDATE proposals SET state = 'pending', decided_at = NULL WHERE state = 'expired';
DROP INDEX proposals_state;
ALTER TABLE proposals RENAME COLUMN state TO decision;
CREATE INDEX proposals_decision ON proposals(decision, expires_at);
`,
	// 3: IP Fabric's API behind the events. An event says where it came
	// from (a webhook, or catch-up from the API) and which completion it
	// reports, so a webhook arriving after its catch-up event is a
	// duplicate. Its enrichment (the snapshot's facts, the intent checks)
	// is kept beside it. A proposal made for an intent check keeps the
	// check and its failing rows; automatic proposals are once per event,
	// rule and check. meta holds small facts of the data directory (when
	// it was first used, when ipfwatch last ran).
	`
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE events ADD COLUMN completion_key TEXT NOT NULL DEFAULT '';
CREATE INDEX events_completion ON events(completion_key) WHERE completion_key <> '';

CREATE TABLE enrichments (
	event_id        INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
	state           TEXT NOT NULL,            -- pending, done, failed, skipped
	reason          TEXT NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	snapshot        TEXT NOT NULL DEFAULT '', -- JSON
	checks          TEXT NOT NULL DEFAULT '', -- JSON array
	updated_at      INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL DEFAULT 0 -- unix ms of the next retry; 0 none
);
CREATE INDEX enrichments_due ON enrichments(next_attempt_at) WHERE next_attempt_at > 0;

ALTER TABLE proposals ADD COLUMN check_id TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN check_name TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN check_color TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE proposals ADD COLUMN check_rows TEXT NOT NULL DEFAULT ''; -- JSON
DROP INDEX proposals_once;
CREATE UNIQUE INDEX proposals_once ON proposals(event_id, rule, check_id) WHERE manual = 0;

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`,
	// 4: de-duplication moved to an index in memory (see dedupe.go). Each
	// of these indexes cost every delivery a write to a random page; the
	// columns stay, and the in-memory index is loaded from them.
	`
DROP INDEX events_key;
DROP INDEX events_body;
DROP INDEX events_completion;
`,
	// 5: the snapshot lookup moved there too. IP Fabric's snapshot ids are
	// UUIDs, so this index too cost a random page per delivery.
	`
DROP INDEX events_snapshot;
`,
}

// migrate applies every migration newer than the database's user_version,
// each in its own transaction. The version is read inside that (immediate)
// transaction: the tray app and the CLI share one file and may open it at the
// same moment, and the second must see what the first has just applied rather
// than run the same step again.
func migrate(db *sql.DB) error {
	for {
		done, err := migrateOne(db)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration, if any, and reports whether
// the schema is now current.
func migrateOne(db *sql.DB) (done bool, err error) {
	tx, err := db.Begin()
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil || done {
			tx.Rollback()
		}
	}()
	var version int
	if err := tx.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("read user_version: %w", err)
	}
	if version > len(migrations) {
		return false, fmt.Errorf("database schema version %d is newer than this ipfwatch (%d)", version, len(migrations))
	}
	if version == len(migrations) {
		return true, nil
	}
	if _, err := tx.Exec(migrations[version]); err != nil {
		return false, fmt.Errorf("migration %d: %w", version+1, err)
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return false, fmt.Errorf("migration %d: set user_version: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %d: commit: %w", version+1, err)
	}
	return false, nil
}
