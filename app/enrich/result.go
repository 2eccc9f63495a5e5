package enrich

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Result is an event's enrichment as ipfwatch shows and uses it. Its JSON
// form is the "ipf" object of `ipfwatch log --json`.
type Result struct {
	State    string        `json:"state"` // pending, done, failed, skipped
	Reason   string        `json:"reason"`
	Attempts int           `json:"attempts"`
	Snapshot *ipf.Snapshot `json:"snapshot,omitempty"`
	Checks   []ipf.Check   `json:"checks,omitempty"`
	// NextAttempt is when a failed lookup is tried again; zero when it is
	// not.
	NextAttempt time.Time `json:"-"`
}

// storedCheck is a check as the store keeps it: with the table, page and
// column behind it, which the printed form leaves out but the links and
// the failing rows of a proposal need.
type storedCheck struct {
	ipf.Check
	APIEndpoint string `json:"api_endpoint"`
	WebEndpoint string `json:"web_endpoint"`
	Column      string `json:"column"`
}

// encode turns a result into the row the store keeps for event id.
func encode(id int64, r Result, now time.Time) (store.Enrichment, error) {
	e := store.Enrichment{EventID: id, State: r.State, Reason: r.Reason, Attempts: r.Attempts,
		UpdatedAt: now, NextAttemptAt: r.NextAttempt}
	if r.Snapshot != nil {
		b, err := json.Marshal(r.Snapshot)
		if err != nil {
			return e, fmt.Errorf("encode snapshot: %w", err)
		}
		e.Snapshot = b
	}
	if r.Checks != nil {
		stored := make([]storedCheck, len(r.Checks))
		for i, k := range r.Checks {
			stored[i] = storedCheck{Check: k, APIEndpoint: k.APIEndpoint, WebEndpoint: k.WebEndpoint, Column: k.Column}
		}
		b, err := json.Marshal(stored)
		if err != nil {
			return e, fmt.Errorf("encode checks: %w", err)
		}
		e.Checks = b
	}
	return e, nil
}

// Decode reads what the store keeps of an event's enrichment.
func Decode(e store.Enrichment) (Result, error) {
	r := Result{State: e.State, Reason: e.Reason, Attempts: e.Attempts, NextAttempt: e.NextAttemptAt}
	if len(e.Snapshot) > 0 {
		var s ipf.Snapshot
		if err := json.Unmarshal(e.Snapshot, &s); err != nil {
			return r, fmt.Errorf("enrichment of event %d: snapshot: %w", e.EventID, err)
		}
		r.Snapshot = &s
	}
	if len(e.Checks) > 0 {
		var stored []storedCheck
		if err := json.Unmarshal(e.Checks, &stored); err != nil {
			return r, fmt.Errorf("enrichment of event %d: checks: %w", e.EventID, err)
		}
		r.Checks = make([]ipf.Check, len(stored))
		for i, s := range stored {
			k := s.Check
			k.APIEndpoint, k.WebEndpoint, k.Column = s.APIEndpoint, s.WebEndpoint, s.Column
			r.Checks[i] = k
		}
	}
	return r, nil
}

// NotLookedUp is the result of an event the store has no enrichment for:
// one that needs none (why comes from what it is), or one that arrived
// while IP Fabric's API was not configured.
func NotLookedUp(p webhook.Payload) Result {
	if wants, skip := Wants(p); !wants {
		return Result{State: store.EnrichSkipped, Reason: skip}
	}
	return Result{State: store.EnrichSkipped, Reason: "IP Fabric's API was not configured when this event arrived"}
}

// Worst orders checks for an engineer: red counts first, then amber, then
// by name, so what is wrong comes first.
func Worst(checks []ipf.Check) []ipf.Check {
	out := append([]ipf.Check(nil), checks...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Red > 0) != (b.Red > 0) {
			return a.Red > 0
		}
		if a.Red != b.Red {
			return a.Red > b.Red
		}
		if (a.Amber > 0) != (b.Amber > 0) {
			return a.Amber > 0
		}
		if a.Amber != b.Amber {
			return a.Amber > b.Amber
		}
		return a.Name < b.Name
	})
	return out
}
