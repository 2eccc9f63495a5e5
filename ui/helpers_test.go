package ui

import (
	"io"
	"log/slog"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

const testSecret = uitest.Secret

func ptr[T any](v T) *T { return &v }

// newTestApp opens and starts a real App on a temporary directory,
// listening on a free loopback port, with a secret set.
func newTestApp(t *testing.T) *app.App {
	t.Helper()
	a := uitest.NewApp(t, uitest.AppOptions{Start: true, Secret: testSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if a.Addr() == "" {
		t.Fatal("the test app is not listening")
	}
	return a
}

// recordingHost is a tray host that keeps the last menu and icon set.
type recordingHost struct {
	menu     *fyne.Menu
	icon     fyne.Resource
	menuSets int
	iconSets int
}

func (h *recordingHost) SetSystemTrayMenu(m *fyne.Menu)    { h.menu, h.menuSets = m, h.menuSets+1 }
func (h *recordingHost) SetSystemTrayIcon(r fyne.Resource) { h.icon, h.iconSets = r, h.iconSets+1 }

func (h *recordingHost) labels() []string {
	var l []string
	if h.menu == nil {
		return nil
	}
	for _, it := range h.menu.Items {
		if it.IsSeparator {
			l = append(l, "---")
			continue
		}
		l = append(l, it.Label)
	}
	return l
}

// item finds a menu item by label, nil if absent.
func (h *recordingHost) item(label string) *fyne.MenuItem {
	if h.menu == nil {
		return nil
	}
	for _, it := range h.menu.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

// placeholderSpecs are the shell's tabs with placeholder content. The
// shell's tests use them whatever views are wired: a real view updates its
// widgets through fyne.Do, which Fyne's test driver runs at once on the
// calling goroutine, racing the test's own goroutine (the real driver runs
// it on the UI goroutine). The views test themselves; TestRunInTray runs
// them all on the real driver.
func placeholderSpecs() []tabSpec {
	specs := tabSpecs(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	for i := range specs {
		specs[i].new = placeholder(specs[i].title, "The "+string(specs[i].id)+" view.")
	}
	return specs
}

// placeholder is a view that shows only its name: the shell's tests need
// tabs, not the views' behaviour.
func placeholder(title, text string) func(*app.App, fyne.Window) view {
	return func(*app.App, fyne.Window) view {
		head := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		body := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{})
		return placeholderView{container.NewCenter(container.NewVBox(head, body))}
	}
}

type placeholderView struct{ content fyne.CanvasObject }

func (p placeholderView) Content() fyne.CanvasObject { return p.content }
func (p placeholderView) Changed(app.Change)         {}
func (p placeholderView) Stop()                      {}
