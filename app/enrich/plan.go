// Package enrich looks up, in IP Fabric's REST API, what an event's webhook
// does not say: for a completed discovery or load, the snapshot's name,
// devices, sites, times and errors; for a completed intent verification,
// every intent check of the snapshot with its colour counts (or, with only
// a reportId, those checks). The result is kept in the store beside the
// event and shown wherever the event is.
//
// It never delays the answer to IP Fabric: events are looked up after they
// are stored and answered, on the Enricher's own goroutine. A failed lookup
// (unreachable, 401, 5xx, bad JSON, timeout) is recorded with its reason
// and tried again after 30 s, 2 min and 10 min.
package enrich

import (
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// lookup is what an event needs asked of IP Fabric.
type lookup struct {
	snapshotID string   // the snapshot whose facts to read ("" none)
	checksOf   string   // the snapshot whose intent checks to read ("" none)
	reportIDs  []string // intent checks of the newest snapshot to read, by id
}

// wants reports whether there is anything to ask.
func (l lookup) wants() bool {
	return l.snapshotID != "" || l.checksOf != "" || len(l.reportIDs) > 0
}

// planFor decides what to look up for an event, or why nothing is: test
// webhooks carry a random snapshot id that must never be looked up, and
// only completed discoveries, loads and intent verifications have results
// to show.
func planFor(p webhook.Payload) (l lookup, skip string) {
	if p.Test {
		return l, "a test webhook: its snapshot id is not a real snapshot"
	}
	if p.Status != "completed" {
		return l, "only completed events are looked up (this one is " + quoted(p.Status) + ")"
	}
	switch {
	case p.Type == webhook.TypeSnapshot && (p.Action == "discover" || p.Action == "load"):
		if p.SnapshotID == "" {
			return l, "the webhook names no snapshot"
		}
		return lookup{snapshotID: p.SnapshotID}, ""
	case p.Type == webhook.TypeIntentVerification && p.Action == "calculate":
		switch {
		case p.SnapshotID != "":
			return lookup{snapshotID: p.SnapshotID, checksOf: p.SnapshotID}, ""
		case len(p.ReportIDs) > 0:
			return lookup{reportIDs: p.ReportIDs}, ""
		}
		return l, "the webhook names neither a snapshot nor a report"
	}
	return l, "nothing is looked up for " + quoted(p.Type+" "+p.Action) + " events"
}

func quoted(s string) string {
	if s == "" || s == " " {
		return `""`
	}
	return `"` + s + `"`
}

// Wants reports whether an event is looked up at all, and if not, why.
func Wants(p webhook.Payload) (bool, string) {
	l, skip := planFor(p)
	return l.wants(), skip
}
