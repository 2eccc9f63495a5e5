package events

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const (
	// maxListedChecks bounds the failing checks listed one by one: a
	// snapshot with hundreds of red checks must not make a pane of links.
	maxListedChecks = 20
	// redoTimeout bounds Look up again: a whole lookup (snapshot and
	// checks, each call with its own 15 s) may take longer than a query.
	redoTimeout = 3 * time.Minute
)

// enrichment is what the "IP Fabric" section shows for one event, read off
// the UI goroutine.
type enrichment struct {
	res   enrich.Result
	err   error  // the stored enrichment could not be read
	base  string // IP Fabric's address for links; "" while none is configured
	wants bool   // the event is one that is looked up at all
	// redoErr is why the last Look up again did not run (the API is not
	// configured, say); the stored result stays as it was.
	redoErr error
}

// readEnrichment reads what IP Fabric's API said of ev, and the address
// the links point to. It reads the store and the token's source, so not on
// the UI goroutine.
func (v *View) readEnrichment(ctx context.Context, ev webhook.Event) enrichment {
	e := enrichment{}
	e.wants, _ = enrich.Wants(ev.Payload)
	e.res, e.err = enrich.Load(ctx, v.a.Store(), ev)
	if u, err := ipf.ParseURL(v.a.IPFConfig().URL); err == nil {
		e.base = u.String()
	}
	return e
}

// lookUpAgain is the section's Look up again: the shown event is looked
// up now, off the UI goroutine, and the section shows the outcome. UI
// goroutine.
func (v *View) lookUpAgain() {
	ev := v.shown.ev
	if ev.ID == 0 || v.redoing == ev.ID {
		return
	}
	v.redoing = ev.ID
	v.details.ipf.busy()
	v.Pending.Background(v.Opt.Do, redoTimeout, func(ctx context.Context) func() {
		_, err := v.a.Enricher().Redo(ctx, ev.ID)
		if err != nil {
			v.Opt.Log.Warn("events view: look up again", "event", ev.ID, "err", err)
		}
		e := v.readEnrichment(ctx, ev)
		e.redoErr = err
		return func() {
			if v.redoing == ev.ID {
				v.redoing = 0
			}
			if v.shown.ev.ID == ev.ID {
				v.shown.ipf = e
				v.details.ipf.show(e, v.Opt.Loc)
				v.details.relayout()
			}
		}
	})
}

// enriched shows the outcome of a lookup of event id if the details pane
// shows it. It is called from the view's Changed goroutine.
func (v *View) enriched(id int64) {
	if id == 0 || id != v.shownID.Load() {
		return
	}
	ctx, cancel := v.Query()
	defer cancel()
	ev, err := v.a.Store().GetEvent(ctx, id)
	if err != nil {
		v.Opt.Log.Warn("events view: enriched event not readable", "event", id, "err", err)
		return
	}
	e := v.readEnrichment(ctx, ev)
	v.Post(func() {
		if v.shown.ev.ID == id && v.redoing != id {
			v.shown.ipf = e
			v.details.ipf.show(e, v.Opt.Loc)
			v.details.relayout()
		}
	})
}

// ipfSection is the details pane's "IP Fabric" part: where the event's
// lookup stands, the snapshot as IP Fabric describes it, and its intent
// checks with what is red or amber first, each a link to its rows in IP
// Fabric's web UI.
type ipfSection struct {
	state    *widget.Label
	facts    *widget.Label
	snapLink *fyne.Container // a link to the snapshot, when there is one
	checks   *fyne.Container
	redo     *widget.Button
	root     *fyne.Container
}

func newIPFSection(onRedo func()) *ipfSection {
	s := &ipfSection{}
	s.state = viewkit.Wrapped("")
	s.facts = viewkit.Wrapped("")
	s.facts.Selectable = true
	s.snapLink = container.NewVBox()
	s.checks = container.NewVBox()
	s.redo = widget.NewButton("Look up again", onRedo)
	title := widget.NewLabelWithStyle("IP Fabric", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.root = container.NewVBox(title, s.state, s.facts, s.snapLink, s.checks, container.NewHBox(s.redo))
	return s
}

// busy says a lookup is under way and keeps the button from starting
// another. UI goroutine.
func (s *ipfSection) busy() {
	s.state.Importance = widget.MediumImportance
	s.state.SetText("Looking it up in IP Fabric's API…")
	s.redo.Disable()
}

// show fills the section with e. UI goroutine.
func (s *ipfSection) show(e enrichment, loc *time.Location) {
	r := e.res
	s.redo.Enable()
	setVisible(s.redo, e.wants)
	s.facts.Hide()
	s.snapLink.RemoveAll()
	s.checks.RemoveAll()
	s.state.Importance = widget.MediumImportance
	switch {
	case e.err != nil:
		s.state.Importance = widget.DangerImportance
		s.state.SetText("Could not read what IP Fabric's API said of it: " + e.err.Error())
		return
	case r.State == store.EnrichFailed:
		s.state.Importance = widget.WarningImportance
	}
	text := EnrichmentState(r, loc)
	if e.redoErr != nil {
		s.state.Importance = widget.DangerImportance
		text = "Look up again did not run: " + e.redoErr.Error() + ". " + text
	}
	s.state.SetText(text)
	if r.State != store.EnrichDone {
		return
	}
	if snap := r.Snapshot; snap != nil {
		s.facts.SetText(SnapshotFacts(*snap, loc))
		s.facts.Show()
		u := snap.URL
		if e.base != "" {
			u = ipf.SnapshotURL(e.base, snap.ID)
		}
		if u != "" {
			s.snapLink.Add(link("Open the snapshot in IP Fabric", u))
		}
	}
	if r.Checks != nil {
		s.showChecks(r.Checks, e.base)
	}
}

// showChecks lists the checks with red or amber rows, worst first, each a
// link to those rows, and sums up the rest.
func (s *ipfSection) showChecks(checks []ipf.Check, base string) {
	if len(checks) == 0 {
		s.checks.Add(viewkit.Wrapped("IP Fabric has no intent check results for this snapshot."))
		return
	}
	s.checks.Add(viewkit.Wrapped("Intent checks (" + strconv.Itoa(len(checks)) + "), worst first:"))
	listed := 0
	for _, k := range enrich.Worst(checks) {
		if !failing(k) {
			continue
		}
		listed++
		if listed > maxListedChecks {
			continue
		}
		s.checks.Add(link(CheckLine(k), checkURL(base, k)))
	}
	if listed > maxListedChecks {
		s.checks.Add(viewkit.Wrapped("and " + strconv.Itoa(listed-maxListedChecks) +
			" more checks with red or amber rows (ipfwatch log --json lists them all)"))
	}
	if sum := greenSummary(checks, listed > 0); sum != "" {
		s.checks.Add(viewkit.Wrapped(sum))
	}
}

// checkURL is the link to a check's rows of its worst colour in IP
// Fabric's web UI: the red ones, or the amber ones of a check with none
// red (a red filter would show an empty table). Without an address
// configured now, the link stored with the lookup serves.
func checkURL(base string, k ipf.Check) string {
	if base == "" {
		return k.URL
	}
	if k.Red == 0 && k.Amber > 0 {
		return ipf.CheckURL(base, k, ipf.Amber)
	}
	return ipf.CheckURL(base, k, ipf.Red)
}

// link is a hyperlink to raw, or plain text when there is no address to
// link to. It wraps, so a long name never widens the pane.
func link(text, raw string) fyne.CanvasObject {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return viewkit.Wrapped(text)
	}
	h := widget.NewHyperlink(text, u)
	h.Wrapping = fyne.TextWrapWord
	return h
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}
