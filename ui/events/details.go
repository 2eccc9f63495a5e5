package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// maxRawJSON bounds the raw body shown: a label laying out megabytes of text
// would freeze the window, and the export or the database has the rest.
const maxRawJSON = 64 << 10

// details is the right-hand pane: what the selected event means, how it
// arrived, what else happened to its snapshot, and the body as sent.
// Everything in it is plain text: the body and every field are untrusted.
type details struct {
	placeholder  *widget.Label
	title        *widget.Label
	summary      *widget.Label
	facts        *widget.Label
	relatedTitle *widget.Label
	related      *fyne.Container
	remediate    *widget.Button
	ipf          *ipfSection
	rawTitle     *widget.Label
	raw          *widget.Label
	body         *fyne.Container
	outer        *fyne.Container
	root         *container.Scroll
	onRelated    func(id int64)
}

func newDetails(onRelated func(id int64), onRemediate, onRedo func()) *details {
	d := &details{onRelated: onRelated, ipf: newIPFSection(onRedo)}
	d.placeholder = widget.NewLabel("Select an event to see its details.")
	d.title = viewkit.Heading("")
	d.summary = viewkit.Wrapped("")
	d.facts = viewkit.Wrapped("")
	d.facts.Selectable = true
	d.relatedTitle = widget.NewLabelWithStyle("Events of this snapshot", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.related = container.NewVBox()
	d.remediate = widget.NewButton("Remediate…", onRemediate)
	d.remediate.Hide()
	d.rawTitle = widget.NewLabelWithStyle("Raw JSON", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.raw = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	d.raw.Wrapping = fyne.TextWrapBreak
	d.raw.Selectable = true
	d.body = container.NewVBox(d.title, d.summary, container.NewHBox(d.remediate), d.ipf.root, d.facts,
		d.relatedTitle, d.related, d.rawTitle, d.raw)
	d.body.Hide()
	d.outer = container.NewVBox(d.placeholder, d.body)
	d.root = container.NewVScroll(d.outer)
	return d
}

func (d *details) setRemediateVisible(on bool) {
	if on == d.remediate.Visible() {
		return
	}
	if on {
		d.remediate.Show()
	} else {
		d.remediate.Hide()
	}
	d.relayout()
}

// show fills the pane with ev. related are the events of its snapshot,
// oldest first, ev among them; e is what IP Fabric's API said of it.
func (d *details) show(ev webhook.Event, related []webhook.Event, e enrichment, loc *time.Location) {
	d.placeholder.Hide()
	d.ipf.show(e, loc)
	d.title.SetText(Title(ev))
	d.summary.SetText(Summary(ev, loc))
	d.facts.SetText(Facts(ev, loc))

	d.related.RemoveAll()
	if len(related) > 1 {
		for _, r := range related {
			text := r.ReceivedAt.In(loc).Format(shortTimeLayout) + "  " + viewkit.OneLine(r.Type) + " " +
				viewkit.OneLine(r.Action) + " " + viewkit.OneLine(r.Status)
			if r.ID == ev.ID {
				text += "  (this event)"
			}
			d.related.Add(d.relatedItem(text, r.ID, r.ID == ev.ID))
		}
		d.relatedTitle.Show()
		d.related.Show()
	} else {
		d.relatedTitle.Hide()
		d.related.Hide()
	}
	d.raw.SetText(PrettyJSON(ev.Body))
	d.body.Show()
	d.relayout()
}

// relatedItem is one line of the "Events of this snapshot" list: a link
// that shows that event, or plain text for the event shown. Both wrap, so
// the list never makes the pane (and with it the window) wider than it is.
func (d *details) relatedItem(text string, id int64, self bool) fyne.CanvasObject {
	if self {
		l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	link := widget.NewHyperlink(text, nil)
	link.Wrapping = fyne.TextWrapWord
	link.OnTapped = func() { d.onRelated(id) }
	return link
}

// relayout lays the pane out again after its content changed size. Drivers
// that re-measure every frame do not need it; it keeps others (and the test
// canvas) from drawing stale positions.
func (d *details) relayout() {
	d.root.Refresh()
	d.outer.Refresh()
}

// Title names what happened in a few words, e.g. "Snapshot discover failed".
func Title(ev webhook.Event) string {
	parts := []string{typeLabel(ev.Type)}
	if ev.Action != "" {
		parts = append(parts, viewkit.OneLine(ev.Action))
	}
	if ev.Status != "" {
		parts = append(parts, viewkit.OneLine(ev.Status))
	}
	t := strings.Join(parts, " ")
	if ev.Test {
		t = "Test webhook: " + t
	}
	return t
}

// Summary says in words what the event means for the engineer.
func Summary(ev webhook.Event, loc *time.Location) string {
	var b strings.Builder
	switch ev.Type {
	case "snapshot":
		if ev.Action != "" {
			b.WriteString("The " + viewkit.OneLine(ev.Action) + " of snapshot ")
		} else {
			b.WriteString("Snapshot ")
		}
		b.WriteString(snapshotRef(ev) + " " + statusPhrase(ev.Status))
	case "intent-verification":
		b.WriteString("The intent verification")
		if ev.Action != "" && ev.Action != "calculate" {
			b.WriteString(" (" + viewkit.OneLine(ev.Action) + ")")
		}
		b.WriteString(" of snapshot " + snapshotRef(ev) + " " + statusPhrase(ev.Status))
		if len(ev.ReportIDs) > 0 {
			b.WriteString(" (" + plural(len(ev.ReportIDs), "report", "reports") + ": " + viewkit.OneLine(strings.Join(ev.ReportIDs, ", ")) + ")")
		}
	default:
		b.WriteString("An event of type " + strconv.Quote(viewkit.OneLine(ev.Type)) + ", which ipfwatch does not know")
		if ev.Action != "" || ev.Status != "" {
			b.WriteString(", action " + strconv.Quote(viewkit.OneLine(ev.Action)) + ", status " + strconv.Quote(viewkit.OneLine(ev.Status)))
		}
	}
	if ev.Reason != "" {
		b.WriteString(": " + viewkit.OneLine(ev.Reason))
	}
	b.WriteString(".")
	if ev.Requester != "" {
		b.WriteString(" Requested by " + viewkit.OneLine(ev.Requester) + ".")
	}
	if !ev.Time().IsZero() && ev.Time().UnixMilli() != 0 {
		b.WriteString(" IP Fabric's timestamp: " + ev.Time().In(loc).Format(timeLayout) + ".")
	}
	if ev.Test {
		b.WriteString(" This is a test webhook: its signature checked out, so IP Fabric and ipfwatch share the secret.")
	}
	if len(ev.Unrecognised) > 0 {
		b.WriteString(" Not known to ipfwatch (kept as sent): " + viewkit.OneLine(strings.Join(ev.Unrecognised, ", ")) + ".")
	}
	return b.String()
}

func typeLabel(t string) string {
	switch t {
	case "snapshot":
		return "Snapshot"
	case "intent-verification":
		return "Intent verification"
	case "":
		return "Event"
	}
	return viewkit.OneLine(t)
}

func snapshotRef(ev webhook.Event) string {
	switch {
	case ev.SnapshotName != "" && ev.SnapshotID != "":
		return strconv.Quote(viewkit.OneLine(ev.SnapshotName)) + " (" + viewkit.OneLine(ev.SnapshotID) + ")"
	case ev.SnapshotName != "":
		return strconv.Quote(viewkit.OneLine(ev.SnapshotName))
	case ev.SnapshotID != "":
		return viewkit.OneLine(ev.SnapshotID)
	}
	return "(no id)"
}

func statusPhrase(s string) string {
	switch s {
	case "started":
		return "has started"
	case "completed":
		return "has completed"
	case "failed":
		return "has failed"
	case "resumed":
		return "has resumed"
	case "resumed (stopping)":
		return "has resumed and is stopping"
	case "stopped":
		return "was stopped"
	case "":
		return "has no status"
	}
	return "is " + strconv.Quote(viewkit.OneLine(s))
}

// Facts are how the event arrived: when, from where and which secret
// signed it (or that catch-up found it in IP Fabric's API, with no webhook),
// and how often IP Fabric sent it again.
func Facts(ev webhook.Event, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received at: %s\n", ev.ReceivedAt.In(loc).Format(timeLayout))
	if ev.Source == webhook.SourceCatchUp {
		// No delivery: nobody sent it, and no secret signed it.
		b.WriteString("Source: caught up from IP Fabric's API (no webhook reached ipfwatch for it)\n")
	} else {
		writeDelivery(&b, ev)
	}
	if ev.Duplicates > 0 {
		fmt.Fprintf(&b, "Duplicates: %d (last seen %s)\n", ev.Duplicates, ev.LastSeenAt.In(loc).Format(timeLayout))
	} else {
		b.WriteString("Duplicates: none\n")
	}
	if ev.CloneID != "" {
		fmt.Fprintf(&b, "Clone id: %s\n", viewkit.OneLine(ev.CloneID))
	}
	if ev.File != "" {
		fmt.Fprintf(&b, "File: %s\n", viewkit.OneLine(ev.File))
	}
	fmt.Fprintf(&b, "Event id: %d\nBody SHA-256: %s", ev.ID, viewkit.OneLine(ev.BodySHA256))
	return b.String()
}

// writeDelivery is where a webhook came from and which secret signed it.
func writeDelivery(b *strings.Builder, ev webhook.Event) {
	from := viewkit.OneLine(ev.RemoteAddr)
	if ev.UserAgent != "" {
		from += " (" + viewkit.OneLine(ev.UserAgent) + ")"
	}
	fmt.Fprintf(b, "From: %s\n", from)
	switch ev.SecretMatched {
	case "previous":
		b.WriteString("Secret matched: previous (IP Fabric still signs with the old secret; update it there)\n")
	case "":
		b.WriteString("Secret matched: unknown\n")
	default:
		fmt.Fprintf(b, "Secret matched: %s\n", viewkit.OneLine(ev.SecretMatched))
	}
}

// PrettyJSON indents a stored body for reading. A body that is not JSON
// (it always is once accepted, but the database is not trusted either) is
// shown escaped. Long bodies are cut at maxRawJSON.
func PrettyJSON(body []byte) string {
	var out bytes.Buffer
	var s string
	if err := json.Indent(&out, body, "", "  "); err == nil {
		s = escapeInvisible(out.String())
	} else {
		s = strconv.Quote(string(body))
	}
	if len(s) > maxRawJSON {
		cut := maxRawJSON
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + fmt.Sprintf("\n… cut: %d of %d characters shown", cut, len(s))
	}
	return s
}

// escapeInvisible writes characters that would not show, or would reorder
// what follows (bidi overrides), as JSON \u escapes. In indented JSON they
// can only occur inside strings, where the escape means the same character,
// so the text stays the JSON that was sent. Invalid UTF-8 becomes U+FFFD.
func escapeInvisible(s string) string {
	var b strings.Builder
	started := false
	for i, r := range s {
		visible := r != utf8.RuneError && (r == '\n' || r == ' ' || unicode.IsPrint(r))
		if visible {
			if started {
				b.WriteRune(r)
			}
			continue
		}
		if !started {
			started = true
			b.Grow(len(s) + 16)
			b.WriteString(s[:i])
		}
		switch {
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	if !started {
		return s
	}
	return b.String()
}
