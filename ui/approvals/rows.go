package approvals

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// row is the text of one list row: a bold headline and a detail line.
type row struct{ head, sub string }

func newRow() fyne.CanvasObject {
	head := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Truncation = fyne.TextTruncateEllipsis
	sub := widget.NewLabel("")
	sub.Truncation = fyne.TextTruncateEllipsis
	return container.NewVBox(head, sub)
}

func setRow(o fyne.CanvasObject, r row) {
	c := o.(*fyne.Container)
	c.Objects[0].(*widget.Label).SetText(r.head)
	c.Objects[1].(*widget.Label).SetText(r.sub)
}

func pendingRow(p store.Proposal, now time.Time) row {
	sub := events.Title(p.Event)
	if c := p.Check; c != nil {
		// What the proposal is for comes first: the row is cut short.
		sub = viewkit.OneLine(c.Name) + " " + strconv.Itoa(c.Count) + " " + viewkit.OneLine(c.Color) + " · " + sub
	}
	if snap := snapshotOf(p); snap != "" {
		sub += " · " + snap
	}
	if p.Manual {
		sub += " · by hand"
	}
	return row{head: viewkit.OneLine(p.Rule) + " · " + timeLeft(p.ExpiresAt.Sub(now)), sub: sub}
}

func runningRow(r store.Run, now time.Time, loc *time.Location) row {
	head := "Run " + strconv.FormatInt(r.ID, 10) + " · " + viewkit.OneLine(r.Rule) + " · " + stateLabel(r.State)
	if !r.StartedAt.IsZero() {
		head += " " + elapsed(r.Duration(now))
	}
	return row{head: head, sub: "approved by " + viewkit.OneLine(r.ApprovedBy) + " at " + r.ApprovedAt.In(loc).Format(timeLayout)}
}

func historyRow(h historyItem, loc *time.Location) row {
	if r := h.run; r != nil {
		sub := h.at.In(loc).Format(timeLayout)
		if !r.StartedAt.IsZero() {
			sub += " · took " + elapsed(r.Duration(r.EndedAt))
		}
		sub += " · approved by " + viewkit.OneLine(r.ApprovedBy)
		return row{head: "Run " + strconv.FormatInt(r.ID, 10) + " · " + viewkit.OneLine(r.Rule) + " · " + runOutcome(*r), sub: sub}
	}
	p := h.prop
	sub := h.at.In(loc).Format(timeLayout)
	if p.DecidedBy != "" {
		sub += " · by " + viewkit.OneLine(p.DecidedBy)
	}
	if p.Comment != "" {
		sub += ": " + viewkit.OneLine(p.Comment)
	}
	return row{head: "Proposal " + strconv.FormatInt(p.ID, 10) + " · " + viewkit.OneLine(p.Rule) + " · " + stateLabel(p.State), sub: sub}
}

// snapshotOf names the proposal's snapshot for a one-line row.
func snapshotOf(p store.Proposal) string {
	if p.Event.SnapshotName != "" {
		return viewkit.OneLine(p.Event.SnapshotName)
	}
	return viewkit.OneLine(p.Event.SnapshotID)
}
