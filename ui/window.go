package ui

import (
	"context"
	"fmt"
	"log/slog"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/app"
)

// WindowSize is the main window's size; every view must be usable at it.
var WindowSize = windowSize

// Window is the main window on its own, without the tray, for tools that
// drive the real views on a real display: tools/screenshots photographs
// them for the README. It is the same shell the tray app runs.
type Window struct{ s *shell }

// NewWindow builds the main window of a (already started) on fa. A new
// proposal does not bring the Approvals tab to the front, so nothing
// switches tabs under a tool. Call it on the UI goroutine.
func NewWindow(a *app.App, fa fyne.App, log *slog.Logger) *Window {
	s := newShell(a, fa, log, tabSpecs(log, &links{}))
	return &Window{s: s}
}

// Start shows the window with the app's current status and subscribes the
// views to its changes.
func (w *Window) Start() {
	w.s.show(w.s.a.Status(context.Background()), w.s.a.Paused())
	w.s.start()
	w.s.win.Show()
}

// Stop ends the views' and the shell's goroutines; call it before the Fyne
// loop ends.
func (w *Window) Stop() { w.s.stop() }

// Fyne is the Fyne window, for capturing what it shows.
func (w *Window) Fyne() fyne.Window { return w.s.win }

// Tabs lists the tabs' ids in order: events, failures, approvals, rules,
// settings.
func Tabs() []string {
	var ids []string
	for _, sp := range tabSpecs(nil, nil) {
		ids = append(ids, string(sp.id))
	}
	return ids
}

// ShowTab brings tab id to the front and returns its content. UI
// goroutine.
func (w *Window) ShowTab(id string) (fyne.CanvasObject, error) {
	for i, sp := range w.s.specs {
		if string(sp.id) == id {
			w.s.tabs.Select(w.s.items[i])
			return w.s.items[i].Content, nil
		}
	}
	return nil, fmt.Errorf("no tab %q", id)
}
