package ui

import (
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/ui/approvals"
	"github.com/ipfwatch/ipfwatch/ui/events"
	"github.com/ipfwatch/ipfwatch/ui/failures"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
	"github.com/ipfwatch/ipfwatch/ui/rules"
	"github.com/ipfwatch/ipfwatch/ui/settings"
)

// view is what the shell needs of a tab. Every view package under ui/
// exports New(a *app.App, win fyne.Window, ...) *View whose *View has these
// methods, so it is a view as it stands.
//
// Changed is called for every app.Change from a goroutine the shell runs
// for that view alone, never the UI goroutine: a view reads the store there
// and touches its widgets only through fyne.Do. Stop ends the view's
// context and waits for its goroutines; the shell calls it once, before the
// window goes for good.
type view interface {
	Content() fyne.CanvasObject
	Changed(app.Change)
	Stop()
}

// shownNotifier is optional: a view that has it is told, on the UI
// goroutine, each time its tab comes to the front (to load lazily, or to
// catch up after changes it chose to skip while hidden).
type shownNotifier interface {
	Shown()
}

// tabID names a tab of the main window.
type tabID string

// The main window's tabs, in order.
const (
	tabEvents    tabID = "events"
	tabFailures  tabID = "failures"
	tabApprovals tabID = "approvals"
	tabRules     tabID = "rules"
	tabSettings  tabID = "settings"
)

// tabSpec says how to build one tab.
type tabSpec struct {
	id    tabID
	title string
	icon  fyne.Resource
	new   func(a *app.App, win fyne.Window) view
}

// links lets views reach each other and the shell once all exist: the
// Events view's "Remediate..." opens the Approvals view's dialog, and a new
// proposal brings the Approvals tab to the front.
type links struct {
	approvals *approvals.View
	showTab   func(tabID)
}

// tabSpecs lists the tabs; log is the app's logger, for views that take
// one, and l is filled in as the views and the shell come to exist. A nil
// l is allowed (tests that only read titles).
func tabSpecs(log *slog.Logger, l *links) []tabSpec {
	if l == nil {
		l = &links{}
	}
	return []tabSpec{
		{tabEvents, "Events", theme.ListIcon(), func(a *app.App, w fyne.Window) view {
			v := events.New(a, w, viewkit.WithLogger(log))
			v.SetRemediate(func(eventID int64) {
				if l.approvals != nil {
					l.approvals.Remediate(eventID)
				}
			})
			return v
		}},
		{tabFailures, "Signature failures", theme.WarningIcon(), func(a *app.App, w fyne.Window) view {
			return failures.New(a, w, viewkit.WithLogger(log))
		}},
		{tabApprovals, "Approvals", theme.ConfirmIcon(), func(a *app.App, w fyne.Window) view {
			v := approvals.New(a, w, viewkit.WithLogger(log))
			v.SetOnProposed(func(int64) {
				if l.showTab != nil {
					l.showTab(tabApprovals)
				}
			})
			l.approvals = v
			return v
		}},
		{tabRules, "Rules", theme.DocumentIcon(), func(a *app.App, w fyne.Window) view {
			return rules.New(a, w, viewkit.WithLogger(log))
		}},
		{tabSettings, "Settings", theme.SettingsIcon(),
			func(a *app.App, w fyne.Window) view { return settings.New(a, w) }},
	}
}
