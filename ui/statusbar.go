package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/assets"
	"github.com/ipfwatch/ipfwatch/ui/events"
)

// statusText is the main window's status bar: listener state and address,
// today's counts, whatever keeps notifications from the engineer, and the
// events the last catch-up from IP Fabric's API added.
func statusText(st app.Status) string {
	var parts []string
	switch st.State {
	case app.StateError:
		parts = append(parts, statusLine(st))
	case app.StatePaused:
		parts = append(parts, "Paused on "+shownAddr(st)+st.Path+" (deliveries get 503 and are retried)")
	case app.StateListening:
		parts = append(parts, "Listening on "+shownAddr(st)+st.Path)
	default:
		parts = append(parts, statusLine(st))
	}
	parts = append(parts, fmt.Sprintf("%d events today", st.EventsToday),
		fmt.Sprintf("%d rejected today", st.RejectionsToday))
	if st.Muted {
		if st.MutedUntil.IsZero() {
			parts = append(parts, "notifications muted")
		} else {
			parts = append(parts, "notifications muted until "+st.MutedUntil.Local().Format("15:04"))
		}
	}
	if st.NotifyError != "" {
		parts = append(parts, "notifications failing: "+st.NotifyError)
	}
	if note := events.CaughtUpNote(st, time.Local); note != "" {
		parts = append(parts, note)
	}
	return strings.Join(parts, " · ")
}

// statusBar is the strip at the bottom of the main window: the tray icon
// for the state, the status text, and on the right the outcome of the last
// thing the engineer asked for (a test webhook, say).
type statusBar struct {
	icon    *widget.Icon
	text    *widget.Label
	note    *widget.Label
	content fyne.CanvasObject
}

func newStatusBar() *statusBar {
	b := &statusBar{
		icon: widget.NewIcon(assets.Tray(assets.Paused, false)),
		text: widget.NewLabel("Starting…"),
		note: widget.NewLabel(""),
	}
	b.text.Truncation = fyne.TextTruncateEllipsis
	b.note.Alignment = fyne.TextAlignTrailing
	b.content = container.NewBorder(widget.NewSeparator(), nil, b.icon, b.note, b.text)
	return b
}

// show displays st; darkTheme picks the icon drawn for dark backgrounds.
func (b *statusBar) show(st app.Status, darkTheme bool) {
	b.icon.SetResource(assets.Tray(trayIcon(st), darkTheme))
	b.text.SetText(statusText(st))
}

// say puts a short message at the right of the bar.
func (b *statusBar) say(msg string) {
	b.note.SetText(msg)
	// The bar's layout sized the note for its old text; lay it out again.
	b.content.Refresh()
}
