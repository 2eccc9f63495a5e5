package events

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// What IP Fabric's API said of an event, in words. The Events view's
// "IP Fabric" section is built from these, and the Approvals and Rules
// views reuse them, so an enrichment reads the same everywhere. What IP
// Fabric sends (names, sites) is folded to one line like any sender text.

// EnrichmentState says where an event's lookup in IP Fabric's API stands:
// done, under way, failed (with why, the attempts made and when it is
// tried again) or skipped (and why).
func EnrichmentState(r enrich.Result, loc *time.Location) string {
	switch r.State {
	case store.EnrichDone:
		s := "Looked up in IP Fabric's API"
		if r.Attempts > 1 {
			s += " on attempt " + strconv.Itoa(r.Attempts)
		}
		return s + "."
	case store.EnrichPending:
		if r.Attempts > 0 {
			return "Being looked up in IP Fabric's API again (" + plural(r.Attempts, "attempt", "attempts") + " so far)…"
		}
		return "Being looked up in IP Fabric's API…"
	case store.EnrichFailed:
		s := "The lookup in IP Fabric's API failed"
		if r.Attempts > 0 {
			s += " (" + plural(r.Attempts, "attempt", "attempts") + ")"
		}
		s += ": " + viewkit.OneLine(strings.TrimSuffix(r.Reason, ".")) + "."
		if !r.NextAttempt.IsZero() {
			return s + " It is tried again at " + r.NextAttempt.In(loc).Format(timeLayout) + "."
		}
		return s + " It is not tried again by itself: use Look up again."
	case store.EnrichSkipped:
		return "Not looked up in IP Fabric's API: " + viewkit.OneLine(strings.TrimSuffix(r.Reason, ".")) + "."
	}
	return "IP Fabric's API: " + viewkit.OneLine(r.State) + "."
}

// SnapshotFacts are what IP Fabric knows of a snapshot (whose id the event
// gives already): its name, devices,
// sites, when discovery ran and the errors it met by type, most first.
func SnapshotFacts(s ipf.Snapshot, loc *time.Location) string {
	var b strings.Builder
	name := viewkit.OneLine(s.Name)
	if name == "" {
		name = "(none)"
	}
	fmt.Fprintf(&b, "Name: %s\n", name)
	fmt.Fprintf(&b, "Devices: %d\n", s.Devices)
	sites := make([]string, len(s.Sites))
	for i, x := range s.Sites {
		sites[i] = viewkit.OneLine(x)
	}
	switch len(sites) {
	case 0:
		b.WriteString("Sites: none\n")
	default:
		fmt.Fprintf(&b, "Sites (%d): %s\n", len(sites), strings.Join(sites, ", "))
	}
	if t := s.Start(); !t.IsZero() {
		fmt.Fprintf(&b, "Started: %s\n", t.In(loc).Format(timeLayout))
	}
	if t := s.End(); !t.IsZero() {
		fmt.Fprintf(&b, "Ended: %s", t.In(loc).Format(timeLayout))
		if d := s.Duration(); d > 0 {
			fmt.Fprintf(&b, " (took %s)", d.Round(time.Second))
		}
		b.WriteString("\n")
	}
	errs := append([]ipf.SnapshotError(nil), s.Errors...)
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Count != errs[j].Count {
			return errs[i].Count > errs[j].Count
		}
		return errs[i].Type < errs[j].Type
	})
	var parts []string
	for _, e := range errs {
		parts = append(parts, viewkit.OneLine(e.Type)+" "+strconv.Itoa(e.Count))
	}
	if len(parts) == 0 {
		b.WriteString("Discovery errors: none")
	} else {
		b.WriteString("Discovery errors: " + strings.Join(parts, ", "))
	}
	return b.String()
}

// CheckLine is an intent check with its red and amber counts, as in
// "NTP sources: 12 red, 3 amber".
func CheckLine(k ipf.Check) string {
	name := viewkit.OneLine(k.Name)
	if name == "" {
		name = "check " + viewkit.OneLine(k.ID)
	}
	var counts []string
	for _, c := range []ipf.Color{ipf.Red, ipf.Amber, ipf.Blue} {
		if n := k.Count(c); n > 0 {
			counts = append(counts, strconv.Itoa(n)+" "+c.String())
		}
	}
	if len(counts) == 0 {
		return name + ": all green"
	}
	return name + ": " + strings.Join(counts, ", ")
}

// failing reports whether a check has red or amber rows: what the engineer
// is shown one by one. The others are summed up (greenSummary).
func failing(k ipf.Check) bool { return k.Red > 0 || k.Amber > 0 }

// greenSummary sums up the checks without red or amber rows; more says
// whether failing checks were listed before it.
func greenSummary(checks []ipf.Check, more bool) string {
	n, blue := 0, false
	for _, k := range checks {
		if !failing(k) {
			n++
			blue = blue || k.Blue > 0
		}
	}
	if n == 0 {
		return ""
	}
	what := plural(n, "check", "checks") + " green"
	if blue {
		what = plural(n, "check", "checks") + " green or blue (for information)"
	}
	if more {
		return "and " + what
	}
	return "No check has red or amber rows (" + what + ")."
}

// CaughtUpNote says how many events the last catch-up from IP Fabric's API
// added and when, "" when it added none: the tray, the status bar and the
// Events view show it, since nothing else tells the engineer that events
// arrived without a webhook.
func CaughtUpNote(st app.Status, loc *time.Location) string {
	if st.CaughtUp <= 0 {
		return ""
	}
	s := plural(st.CaughtUp, "event", "events") + " caught up from IP Fabric"
	if !st.CaughtUpAt.IsZero() {
		s += " at " + st.CaughtUpAt.In(loc).Format("15:04")
	}
	return s
}
