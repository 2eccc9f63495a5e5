package approvals

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// maxShownRows bounds the failing rows the approval screen lists: enough to
// see which devices the program will touch; the program gets them all.
const maxShownRows = 20

// AddedCheckVariables says what a program proposed for an intent check
// gets besides AddedVariables.
const AddedCheckVariables = "For the intent check it also sets IPF_CHECK_ID, IPF_CHECK_NAME, IPF_CHECK_COLOR, " +
	"IPF_CHECK_COUNT and IPF_CHECK_ROWS_FILE (a private file holding the check's failing rows as JSON)."

// CheckSummary says which intent check a proposal was made for, as in
// `Intent check "NTP sources" (id 1001): 25 red rows.`
func CheckSummary(c store.ProposalCheck) string {
	return "Intent check " + strconv.Quote(viewkit.OneLine(c.Name)) + " (id " + viewkit.OneLine(c.ID) + "): " +
		strconv.Itoa(c.Count) + " " + viewkit.OneLine(c.Color) + " " + rowsWord(c.Count) + "."
}

func rowsWord(n int) string {
	if n == 1 {
		return "row"
	}
	return "rows"
}

// CheckDetails lays out the intent check a proposal was made for: its
// name, colour and count, and the first of its failing rows as IP Fabric
// gave them when it was proposed (device, site, the check's column), with
// how many more the program gets. Everything is plain text: the rows come
// from IP Fabric, and a device name is no more trusted than a webhook.
func CheckDetails(c store.ProposalCheck) fyne.CanvasObject {
	box := container.NewVBox(viewkit.Wrapped(CheckSummary(c)))
	rows, err := remediation.CheckRows(&c)
	switch {
	case err != nil:
		box.Add(viewkit.Wrapped("Its failing rows cannot be read: " + err.Error()))
		return box
	case len(rows) == 0:
		box.Add(viewkit.Wrapped("IP Fabric's failing rows were not read when it was proposed: " +
			"the program gets an empty list in IPF_CHECK_ROWS_FILE."))
		return box
	}
	cell := func(s string, bold bool) fyne.CanvasObject {
		l := widget.NewLabelWithStyle(viewkit.OneLine(s), fyne.TextAlignLeading, fyne.TextStyle{Bold: bold})
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	row := func(a, b, c string, bold bool) fyne.CanvasObject {
		return container.New(layout.NewGridLayoutWithColumns(3), cell(a, bold), cell(b, bold), cell(c, bold))
	}
	// The rows hug each other, as in a table: a label's own padding is
	// space enough.
	table := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), row("Device", "Site", "Value", true))
	for _, r := range rows[:min(len(rows), maxShownRows)] {
		table.Add(row(r.Hostname, r.Site, r.Value, false))
	}
	box.Add(table)
	if more := len(rows) - maxShownRows; more > 0 {
		box.Add(viewkit.Wrapped("and " + strconv.Itoa(more) + " more (all " + strconv.Itoa(len(rows)) +
			" reach the program in IPF_CHECK_ROWS_FILE)"))
	}
	if c.Count > len(rows) {
		box.Add(viewkit.Wrapped("IP Fabric counted " + strconv.Itoa(c.Count) + " " + viewkit.OneLine(c.Color) +
			" rows; the proposal keeps the first " + strconv.Itoa(len(rows)) + "."))
	}
	return box
}

// enrichmentLine is what IP Fabric's API said of a proposal's event, in one
// line: the headline of a done lookup, or where the lookup stands.
func enrichmentLine(p store.Proposal, r enrich.Result, err error, loc *time.Location) string {
	if err != nil {
		return "What IP Fabric's API said of the event cannot be read: " + err.Error()
	}
	if r.State == store.EnrichDone {
		if h := app.Headline(p.Event.Payload, r); h != "" {
			return "IP Fabric: " + viewkit.OneLine(h)
		}
	}
	return events.EnrichmentState(r, loc)
}
