package store

import "time"

// EventRow is one stored event as the UI, the CLI and remediation see it.
type EventRow struct {
	ID            int64
	ReceivedAt    time.Time
	LastSeenAt    time.Time
	Type          string
	Action        string
	Status        string
	Reason        string
	Requester     string
	EventTime     time.Time // the timestamp IP Fabric sent
	Test          bool
	SnapshotID    string
	SnapshotName  string
	CloneID       string
	File          string
	ReportIDs     []string
	Unrecognised  []string
	RemoteAddr    string
	UserAgent     string
	SecretMatched string
	Duplicates    int64
	BodySHA256    string
	Body          []byte // raw body; left nil by list queries, filled by GetEvent
}

// RejectionRow is one refused delivery.
type RejectionRow struct {
	ID          int64
	ReceivedAt  time.Time
	RemoteAddr  string
	Method      string
	Path        string
	UserAgent   string
	Size        int64
	Status      int
	Reason      string
	Hint        string
	Signature   string
	BodySHA256  string
	BodyPreview []byte
	Headers     map[string]string
}

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
