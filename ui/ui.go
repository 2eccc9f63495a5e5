// Package ui is ipfwatch's Fyne front end: the tray icon and menu and the
// main window (Events, Signature failures, Approvals, Rules and Settings
// tabs over a status bar). It talks to app only, never to SQL or HTTP, and
// changes widgets from other goroutines only through fyne.Do.
//
// The tabs are sub-packages of ui (ui/settings, ui/events, ...); the shell
// here owns the window, the tray and the one subscription to the app's
// changes that it forwards to every view.
package ui

import (
	"context"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/assets"
	"github.com/ipfwatch/ipfwatch/ui/internal/idle"
)

// Run starts the tray app on a and blocks until the engineer quits; it
// returns the process exit code. Each value on raised brings the window up
// (another start of the tray app asked for it). The caller has checked that
// there is a display.
func Run(a *app.App, log *slog.Logger, raised <-chan struct{}) int {
	fa := fyneapp.NewWithID(config.AppID)
	fa.SetIcon(assets.AppIcon)
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		log.Error("cannot start", "err", err)
		if err := a.Shutdown(ctx); err != nil {
			log.Error("shutdown", "err", err)
		}
		return 1
	}
	l := &links{}
	s := newLazyShell(a, fa, log, tabSpecs(log, l))
	s.parker = idle.NewParker(func() bool { return s.shown })
	l.showTab = s.showTab
	// The first status is read here, before the Fyne loop runs, so the
	// tray never shows a blank state.
	s.show(a.Status(ctx), a.Paused())

	desk, isDesktop := fa.(desktop.App)
	tray := isDesktop && trayAvailable(log)
	if tray {
		s.attachTray(desk)
		// A click on the icon shows the window (where the panel supports
		// it); Fyne sets the window's close button to hide it, as we do.
		desk.SetSystemTrayWindow(s.win)
		s.win.SetCloseIntercept(s.hide)
		// Fyne's own handler for a click on the icon would show the window
		// without the shell knowing (unbuilt, and the loop parked): ours
		// wakes the loop and opens it properly.
		systray.SetOnTapped(func() {
			s.parker.Wake()
			fyne.Do(func() { s.showTab("") })
		})
	} else {
		// Without a tray, hiding the window would leave no way back to
		// it: the window is the app, and closing it quits.
		s.win.SetCloseIntercept(s.quit)
		log.Warn("no system tray: the window stays open, and closing it quits ipfwatch")
	}
	s.start()
	s.followRaises(raised)
	if !tray {
		s.showTab("")
	}
	s.parker.Start()
	fa.Run()
	// Once Fyne's loop has ended, nothing of ours may run: the parker
	// first, then the shell's and the views' goroutines.
	s.parker.Stop()

	s.stop()
	if err := s.shutdown(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}
