package settings

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/autostart"
	"github.com/ipfwatch/ipfwatch/app/config"
)

// loginWidgets are the "Start at login" toggle and where it says it is
// kept. The toggle applies at once: it is not a setting Save writes, but an
// entry in the desktop's own autostart place.
type loginWidgets struct {
	check *widget.Check
	note  *widget.Label
	// syncing is set while the view sets the check itself, so that only
	// the engineer's clicks change the autostart entry.
	syncing bool
}

// buildLogin makes the toggle. UI goroutine.
func (v *View) buildLogin() fyne.CanvasObject {
	w := &v.login
	w.check = widget.NewCheck("Start ipfwatch when I log in", func(on bool) {
		if !w.syncing {
			v.setAutostart(on)
		}
	})
	w.note = hint("")
	return container.NewVBox(w.check, w.note)
}

// showAutostart shows what autostart has now; err is why reading it or the
// last change failed. UI goroutine.
func (v *View) showAutostart(st autostart.Status, err error) {
	w := &v.login
	w.syncing = true
	w.check.SetChecked(st.Enabled)
	w.syncing = false
	w.note.Importance = widget.MediumImportance
	switch {
	case err != nil:
		w.note.Importance = widget.DangerImportance
		w.note.SetText("Not changed: " + err.Error())
	case st.Enabled:
		w.note.SetText("Starts at login from " + st.Where + ".")
	default:
		w.note.SetText("Does not start at login (it would be registered in " + st.Where + ").")
	}
	v.relayout()
}

// setAutostart registers this very program, on this data folder, to start
// at login, or removes it, off the UI goroutine. UI goroutine.
func (v *View) setAutostart(on bool) {
	w := &v.login
	w.check.Disable()
	dataDir := v.loaded.view.DataDir
	v.pending.Go(func(context.Context) {
		var err error
		if on {
			err = enableAutostart(dataDir)
		} else {
			err = autostart.Disable()
		}
		st, serr := autostart.Current()
		if err == nil {
			err = serr
		}
		v.post(func() {
			w.check.Enable()
			v.showAutostart(st, err)
		})
	})
}

// enableAutostart registers os.Executable, with --data-dir when the data
// folder is not the default one, as `ipfwatch autostart on` does, so the
// login starts the same ipfwatch on the same data.
func enableAutostart(dataDir string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot tell where this program is: %w", err)
	}
	return autostart.Enable(exe, autostartArgs(dataDir)...)
}

// autostartArgs are the arguments the login starts ipfwatch with.
func autostartArgs(dataDir string) []string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	if filepath.Clean(abs) == filepath.Clean(config.DefaultDataDir()) {
		return nil
	}
	return []string{"--data-dir", abs}
}
