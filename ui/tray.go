package ui

import (
	"fmt"
	"net"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/assets"
	"github.com/ipfwatch/ipfwatch/ui/events"
)

// trayHost is the part of Fyne's desktop.App the tray needs. The real one is
// the GLFW driver, which hands the menu to fyne.io/systray: on Linux that
// exports a StatusNotifierItem and a com.canonical.dbusmenu on the session
// bus and registers with org.kde.StatusNotifierWatcher; on macOS it is an
// NSStatusItem and on Windows a notification-area icon. Tests record what
// the tray sets through this interface.
type trayHost interface {
	SetSystemTrayMenu(*fyne.Menu)
	SetSystemTrayIcon(fyne.Resource)
}

// trayActions are what the menu items do. They run on the UI goroutine
// (systray delivers clicks there), so anything slow must start its own
// goroutine.
type trayActions struct {
	Open          func()
	OpenApprovals func()
	OpenFailures  func()
	SetPaused     func(bool)
	Mute          func()
	Unmute        func()
	SendTest      func()
	Quit          func()
}

// menuItem is one entry of the tray menu as plain data, so tests read labels
// and call actions without a tray.
type menuItem struct {
	label     string
	enabled   bool
	separator bool
	action    func()
}

// muteFor is how long the tray's mute item mutes; its label says so.
const (
	muteFor      = time.Hour
	muteForLabel = "Mute notifications for 1 hour"
)

// menuModel is the tray menu for a state. paused is the engineer's pause
// switch, which st.State hides behind an error while the listener is in
// error; the menu must still offer to resume.
func menuModel(st app.Status, paused bool, act trayActions) []menuItem {
	items := []menuItem{{label: statusLine(st)}} // disabled: it is information
	if note := events.CaughtUpNote(st, time.Local); note != "" {
		// Information too: events came in without a webhook.
		items = append(items, menuItem{label: note})
	}
	items = append(items,
		menuItem{separator: true},
		menuItem{label: "Open ipfwatch", enabled: true, action: act.Open},
		menuItem{label: fmt.Sprintf("Approvals (%d pending)", st.Pending), enabled: true, action: act.OpenApprovals},
	)
	if st.UnseenFailures > 0 {
		// The attention icon must be explained somewhere one click away.
		items = append(items, menuItem{label: fmt.Sprintf("Signature failures (%d new)", st.UnseenFailures),
			enabled: true, action: act.OpenFailures})
	}
	items = append(items, menuItem{separator: true})
	if paused {
		items = append(items, menuItem{label: "Resume listening", enabled: true, action: func() { act.SetPaused(false) }})
	} else {
		items = append(items, menuItem{label: "Pause listening", enabled: true, action: func() { act.SetPaused(true) }})
	}
	if st.Muted {
		items = append(items, menuItem{label: "Unmute notifications" + mutedUntil(st), enabled: true, action: act.Unmute})
	} else {
		items = append(items, menuItem{label: muteForLabel, enabled: true, action: act.Mute})
	}
	// A test webhook needs a bound, unpaused listener with a secret; the
	// item is greyed out otherwise instead of failing when clicked.
	items = append(items,
		menuItem{label: "Send test webhook", enabled: st.State == app.StateListening, action: act.SendTest},
		menuItem{separator: true},
		// Quit must be the last item and be called "Quit": Fyne adds its own
		// Quit (which skips our graceful shutdown) to a tray menu without one.
		menuItem{label: "Quit", enabled: true, action: act.Quit},
	)
	return items
}

func mutedUntil(st app.Status) string {
	if st.MutedUntil.IsZero() {
		return ""
	}
	return " (muted until " + st.MutedUntil.Local().Format("15:04") + ")"
}

// statusLine is the tray menu's first, disabled line.
func statusLine(st app.Status) string {
	switch st.State {
	case app.StateError:
		if st.Error == "" {
			return "Error"
		}
		return "Error: " + st.Error
	case app.StatePaused:
		return "Paused"
	case app.StateStopped:
		return "Stopped"
	case app.StateListening:
	default:
		return "Starting…"
	}
	n := "events"
	if st.EventsToday == 1 {
		n = "event"
	}
	return fmt.Sprintf("Listening on %s, %d %s today", shownAddr(st), st.EventsToday, n)
}

// shownAddr is the address to show: the configured one, which is what the
// engineer typed and what IP Fabric is told, unless it asks for any port
// (":0"), in which case only the bound address says where we are.
func shownAddr(st app.Status) string {
	if _, port, err := net.SplitHostPort(st.Listen); err == nil && port != "0" {
		return st.Listen
	}
	if st.Addr != "" {
		return st.Addr
	}
	return st.Listen
}

// trayIcon is the icon for a state, the worst thing first: an error (the
// listener is down or has no secret), then attention (approvals waiting or
// failures unseen), then paused (or not started), then all well.
func trayIcon(st app.Status) assets.TrayState {
	switch {
	case st.State == app.StateError:
		return assets.Error
	case st.Pending > 0 || st.UnseenFailures > 0:
		return assets.Attention
	case st.State != app.StateListening:
		return assets.Paused
	}
	return assets.Listening
}

// tray owns everything the tray shows: the host to draw on, the last icon
// and menu, and whether the panel is dark. All its methods run on the UI
// goroutine.
type tray struct {
	host      trayHost
	act       trayActions
	darkPanel bool

	st   app.Status
	icon fyne.Resource
	menu string // signature of the menu last set
}

func newTray(host trayHost, act trayActions, darkPanel bool) *tray {
	return &tray{host: host, act: act, darkPanel: darkPanel}
}

// update shows st. The menu is rebuilt, never mutated: systray only offers
// ResetMenu and re-adding items (Fyne's SetSystemTrayMenu does exactly
// that, and each rebuild makes the Linux panel re-read the whole dbusmenu
// layout), so it is set again only when a label or an enabled flag
// changed, not on every refresh.
func (t *tray) update(st app.Status, paused bool) {
	t.st = st
	t.setIcon()
	items := menuModel(st, paused, t.act)
	if sig := menuSignature(items); sig != t.menu {
		t.menu = sig
		t.host.SetSystemTrayMenu(fyneMenu(items))
	}
}

// setDarkPanel switches the icon variant when the desktop's colour scheme
// changes.
func (t *tray) setDarkPanel(dark bool) {
	if dark != t.darkPanel {
		t.darkPanel = dark
		t.setIcon()
	}
}

func (t *tray) setIcon() {
	icon := assets.Tray(trayIcon(t.st), t.darkPanel)
	if icon != t.icon {
		t.icon = icon
		t.host.SetSystemTrayIcon(icon)
	}
}

func menuSignature(items []menuItem) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%q/%t/%t\n", it.label, it.enabled, it.separator)
	}
	return b.String()
}

func fyneMenu(items []menuItem) *fyne.Menu {
	var fi []*fyne.MenuItem
	for _, it := range items {
		if it.separator {
			fi = append(fi, fyne.NewMenuItemSeparator())
			continue
		}
		m := fyne.NewMenuItem(it.label, it.action)
		m.Disabled = !it.enabled
		m.IsQuit = it.label == "Quit"
		fi = append(fi, m)
	}
	return fyne.NewMenu("ipfwatch", fi...)
}
