package store

import "time"

// EventFilter narrows event queries. Zero values mean "any".
type EventFilter struct {
	Type   string
	Status string
	Search string    // substring of snapshot name, snapshot id or reason
	Since  time.Time // received at or after
	// Keyset paging, newest first: rows with id < BeforeID (0 = from the newest).
	BeforeID int64
	Limit    int // 0 = 100
}

// RejectionFilter narrows rejection queries, newest first.
type RejectionFilter struct {
	Since    time.Time
	BeforeID int64
	Limit    int // 0 = 100
}

// Retention says how long rows are kept; zero durations/counts keep forever.
type Retention struct {
	Events        time.Duration // default 90 days
	Rejections    time.Duration // default 30 days
	MaxRejections int           // default 100,000
}
