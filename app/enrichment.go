package app

import (
	"context"
	"errors"
	"strings"

	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// enrichClient is the Enricher's view of the client in force: nil (not a
// nil *ipf.Client in an interface) while the API is not configured.
func (a *App) enrichClient() enrich.Client {
	if c := a.ipf(); c != nil {
		return c
	}
	return nil
}

// rowsFetcher reads an intent check's failing rows for a proposal, nil
// while the API is not configured.
func (a *App) rowsFetcher() remediation.RowsFetcher {
	c := a.ipf()
	if c == nil {
		return nil
	}
	return c.CheckRows
}

// onEnriched follows a lookup that ended: the views refresh; the first
// attempt's outcome is notified, with what IP Fabric said when it answered;
// rules on intent checks propose now (or say why they cannot).
func (a *App) onEnriched(e webhook.Event, r enrich.Result) {
	a.publish(Change{Kind: EventEnriched, ID: e.ID})
	if r.Attempts == 1 {
		a.notifyEvent(e.Payload, &r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), postTimeout)
	defer cancel()
	var err error
	switch r.State {
	case store.EnrichDone:
		_, err = a.rem.OnEnriched(ctx, e, r.Checks, nil, a.rowsFetcher())
	case store.EnrichFailed:
		why := r.Reason
		if !r.NextAttempt.IsZero() {
			why += "; tried again at " + r.NextAttempt.Format("15:04:05")
		}
		_, err = a.rem.OnEnriched(ctx, e, nil, errors.New(why), nil)
	}
	if err != nil {
		a.log.Error("remediation: proposals on intent checks not created", "event", e.ID, "err", err)
	}
}

// notifyEvent posts the notification an event deserves, with what IP
// Fabric's API said of it when r holds that.
func (a *App) notifyEvent(p webhook.Payload, r *enrich.Result) {
	n, ok := notify.ForEvent(p)
	if !ok {
		return
	}
	if r != nil && r.State == store.EnrichDone {
		if head := Headline(p, *r); head != "" {
			n.Title = head
		}
	}
	a.center.Post(n)
}

// Headline is an enriched event in one line, for the notification and the
// tray: "Intent verification: 3 checks red (NTP sources 12, DNS 2, BGP 1)",
// "Snapshot nightly discovered: 42 devices, 2 sites". "" when the
// enrichment adds nothing.
func Headline(p webhook.Payload, r enrich.Result) string {
	switch p.Type {
	case webhook.TypeIntentVerification:
		var red []ipf.Check
		for _, k := range enrich.Worst(r.Checks) {
			if k.Red > 0 {
				red = append(red, k)
			}
		}
		if len(r.Checks) == 0 {
			return ""
		}
		if len(red) == 0 {
			return "Intent verification: no check red"
		}
		var parts []string
		for i, k := range red {
			if i == 3 {
				parts = append(parts, "…")
				break
			}
			parts = append(parts, k.Name+" "+itoa(k.Red))
		}
		return "Intent verification: " + plural(len(red), "check", "checks") + " red (" + strings.Join(parts, ", ") + ")"
	case webhook.TypeSnapshot:
		if r.Snapshot == nil {
			return ""
		}
		name := r.Snapshot.Name
		if name == "" {
			name = r.Snapshot.ID
		}
		return "Snapshot " + name + " " + p.Action + " completed: " +
			plural(r.Snapshot.Devices, "device", "devices") + ", " + plural(len(r.Snapshot.Sites), "site", "sites")
	}
	return ""
}
