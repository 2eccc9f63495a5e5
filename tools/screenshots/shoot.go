package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/assets"
	"github.com/ipfwatch/ipfwatch/ui"
)

// Timings of Screenshots. Generous: the views load off the UI goroutine,
// and the machines that make the pictures are small and shared.
const (
	// shotPoll is how often the window is looked at while it settles.
	shotPoll = 100 * time.Millisecond
	// shotSteady is how many looks in a row must agree before the window
	// counts as settled.
	shotSteady = 4
	// shotTimeout bounds each wait; a view still loading after it is a
	// failure, not a picture of a spinner.
	shotTimeout = 30 * time.Second
)

// shot is one screenshot: a tab, the file it goes to, and optionally the
// row to select first so the details pane shows something, and what to
// open then.
type shot struct {
	tab  string
	file string
	// pick chooses the row to select, reading the store off the UI
	// goroutine in the same order the view lists rows; -1 selects nothing.
	pick func(ctx context.Context, a *app.App) (int, error)
	// open, if set, opens something of the view after the selection (a
	// form, a tester) and waits until it shows. It runs on the shooting
	// goroutine, like pick.
	open func(s *shooter, content fyne.CanvasObject) error
}

// shots are the pictures Screenshots takes, in order: one per tab, then
// the Rules view's form and tester, which open beside the table and must
// fit the window as well.
var shots = []shot{
	{tab: "events", file: "events.png", pick: pickEvent},
	{tab: "failures", file: "failures.png", pick: pickFirstRejection},
	{tab: "approvals", file: "approvals.png", pick: pickFirstPending},
	{tab: "rules", file: "rules.png", pick: pickFirstRule},
	{tab: "settings", file: "settings.png"},
	{tab: "rules", file: "rules-editor.png", open: openRuleEditor},
	{tab: "rules", file: "rules-tester.png", open: openRuleTester},
}

// shooter photographs the real main window of a running ipfwatch.
type shooter struct {
	w   *ui.Window
	win fyne.Window
}

// screenshots runs the real main window over a (started, with its data in
// place) on the real Fyne driver, shows each tab in turn at the window's
// usual size, waits until the tab has loaded and stopped changing, and
// writes what the window shows to dir as one PNG per tab (events.png,
// failures.png, approvals.png, rules.png, settings.png), then the Rules
// view with its form and its tester open (rules-editor.png,
// rules-tester.png). It returns the files written. The README's pictures
// are made this way (make screenshots), so they show the views as they
// are, not a mock-up.
//
// It drives the views as an engineer would, through what they show: a
// table's rows, a button's label. Like ui.Run it needs a display and the
// main goroutine, and can run once per process (a limit of Fyne's GLFW
// driver). It leaves a running: the caller shuts it down.
func screenshots(a *app.App, dir string, log *slog.Logger) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("screenshots: %w", err)
	}
	fa := fyneapp.NewWithID(config.AppID)
	fa.SetIcon(assets.AppIcon)
	w := ui.NewWindow(a, fa, log)
	w.Start()
	s := &shooter{w: w, win: w.Fyne()}

	type result struct {
		files []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		files, err := s.shootAll(a, dir, log)
		w.Stop()
		done <- result{files, err}
		fyne.Do(fa.Quit)
	}()
	fa.Run()
	r := <-done
	return r.files, r.err
}

// shootAll takes every shot. It runs on its own goroutine and touches the
// window only through fyne.DoAndWait.
func (s *shooter) shootAll(a *app.App, dir string, log *slog.Logger) ([]string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var files []string
	for _, sh := range shots {
		path := filepath.Join(dir, sh.file)
		img, err := s.shoot(ctx, a, sh)
		if err != nil {
			return files, fmt.Errorf("screenshot of %s: %w", sh.tab, err)
		}
		if err := writePNG(path, img); err != nil {
			return files, fmt.Errorf("screenshot of %s: %w", sh.tab, err)
		}
		log.Info("screenshot written", "tab", sh.tab, "file", path)
		files = append(files, path)
	}
	return files, nil
}

// shoot brings one tab to the front, selects its row, and captures the
// window once everything has loaded.
func (s *shooter) shoot(ctx context.Context, a *app.App, sh shot) (image.Image, error) {
	var content fyne.CanvasObject
	var err error
	fyne.DoAndWait(func() { content, err = s.w.ShowTab(sh.tab) })
	if err != nil {
		return nil, err
	}
	if err := s.waitLoaded(content); err != nil {
		return nil, err
	}
	if sh.pick != nil {
		row, err := sh.pick(ctx, a)
		if err != nil {
			return nil, err
		}
		if row >= 0 {
			if err := s.selectRow(content, row); err != nil {
				return nil, err
			}
		}
	}
	if sh.open != nil {
		if err := sh.open(s, content); err != nil {
			return nil, err
		}
	}
	return s.captureSettled()
}

// openRuleEditor presses Edit… for the first rule, so the picture shows
// the form beside the table.
func openRuleEditor(s *shooter, content fyne.CanvasObject) error {
	selectFirstRow(content)
	if err := s.press(content, "Edit…"); err != nil {
		return err
	}
	return s.waitLoaded(content)
}

// openRuleTester presses "Test against event…" for the first rule and
// chooses the newest event once the tester lists them, so the picture
// shows the verdict and, for a matching event, the plan.
func openRuleTester(s *shooter, content fyne.CanvasObject) error {
	selectFirstRow(content)
	if err := s.press(content, "Test against event…"); err != nil {
		return err
	}
	deadline := time.Now().Add(shotTimeout)
	for {
		var before []string
		var chosen bool
		fyne.DoAndWait(func() {
			before = textsOf(content)
			if sel := firstSelect(content); sel != nil && len(sel.Options) > 0 {
				sel.SetSelected(sel.Options[0])
				chosen = true
			}
		})
		if chosen {
			if err := waitChange(content, before, deadline); err != nil {
				return fmt.Errorf("choosing an event to test against: %w", err)
			}
			break
		}
		if time.Now().After(deadline) {
			return errors.New("the tester listed no events to test against")
		}
		time.Sleep(shotPoll)
	}
	// The test runs in the background; its verdict replaces "Testing…".
	for {
		var testing bool
		fyne.DoAndWait(func() {
			testing = slices.ContainsFunc(textsOf(content), func(t string) bool {
				return strings.HasPrefix(t, "Testing against")
			})
		})
		if !testing {
			return s.waitLoaded(content)
		}
		if time.Now().After(deadline) {
			return errors.New("the tester never showed its verdict")
		}
		time.Sleep(shotPoll)
	}
}

// selectFirstRow selects the first row of content's table, if it is not
// selected already (the shot before may have selected it: selectRow would
// then wait in vain for the screen to change). The Rules view enables its
// buttons as the row is selected.
func selectFirstRow(content fyne.CanvasObject) {
	fyne.DoAndWait(func() {
		if t, ok := firstSelectable(content).(*widget.Table); ok {
			if rows, _ := t.Length(); rows > 0 {
				t.Select(widget.TableCellID{Row: 0, Col: 0})
			}
		}
	})
}

// press taps the enabled button labelled text in content, then takes the
// focus away again: a blinking cursor would keep the picture from
// settling.
func (s *shooter) press(content fyne.CanvasObject, text string) error {
	var found bool
	fyne.DoAndWait(func() {
		walk(content, func(o fyne.CanvasObject) bool {
			if b, ok := o.(*widget.Button); ok && b.Text == text && !b.Disabled() && b.OnTapped != nil {
				b.OnTapped()
				found = true
				return false
			}
			return true
		})
		s.win.Canvas().Unfocus()
	})
	if !found {
		return fmt.Errorf("no enabled button %q to press", text)
	}
	return nil
}

// waitLoaded waits until content no longer says it is loading and its text
// has stopped changing.
func (s *shooter) waitLoaded(content fyne.CanvasObject) error {
	deadline := time.Now().Add(shotTimeout)
	var last []string
	same := 0
	for {
		var now []string
		fyne.DoAndWait(func() { now = textsOf(content) })
		if !loading(now) && slices.Equal(now, last) {
			same++
		} else {
			same = 0
		}
		if same >= shotSteady {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the view did not finish loading; it shows %q", now)
		}
		last = now
		time.Sleep(shotPoll)
	}
}

// loading reports whether a view's texts say it is still loading.
func loading(texts []string) bool {
	return slices.ContainsFunc(texts, func(t string) bool {
		return strings.HasPrefix(t, "Loading") || strings.HasSuffix(t, "loading…")
	})
}

// selectRow selects row in the first table or list of content, once the
// view has that many rows, and waits for what the selection shows (a
// details pane loads off the UI goroutine).
func (s *shooter) selectRow(content fyne.CanvasObject, row int) error {
	deadline := time.Now().Add(shotTimeout)
	var before []string
	for {
		var ok, found bool
		fyne.DoAndWait(func() {
			before = textsOf(content)
			switch w := firstSelectable(content).(type) {
			case *widget.Table:
				found = true
				if rows, _ := w.Length(); row < rows {
					w.Select(widget.TableCellID{Row: row, Col: 0})
					ok = true
				}
			case *widget.List:
				found = true
				if row < w.Length() {
					w.Select(row)
					ok = true
				}
			}
		})
		if !found {
			return errors.New("the view has no table or list to select a row in")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("row %d never appeared", row)
		}
		time.Sleep(shotPoll)
	}
	// The details arrive from a background load: wait for them to show,
	// then for the view to settle.
	if err := waitChange(content, before, deadline); err != nil {
		return fmt.Errorf("selecting row %d: %w", row, err)
	}
	return s.waitLoaded(content)
}

// waitChange waits until content's text differs from before.
func waitChange(content fyne.CanvasObject, before []string, deadline time.Time) error {
	for {
		var now []string
		fyne.DoAndWait(func() { now = textsOf(content) })
		if !slices.Equal(now, before) {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("nothing changed on screen")
		}
		time.Sleep(shotPoll)
	}
}

// captureSettled captures the window until two captures in a row agree:
// the text may be in place a frame before the picture is.
func (s *shooter) captureSettled() (image.Image, error) {
	deadline := time.Now().Add(shotTimeout)
	var last image.Image
	for {
		img, err := s.capture()
		if err != nil {
			return nil, err
		}
		if last != nil && sameImage(img, last) {
			return img, nil
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the window never stopped changing")
		}
		last = img
		time.Sleep(2 * shotPoll)
	}
}

// capture is what the window shows: Fyne's own capture where the OpenGL
// driver can read its front buffer, else the pixels the X server has.
func (s *shooter) capture() (image.Image, error) {
	var img image.Image
	var err error
	var size, needs fyne.Size
	fyne.DoAndWait(func() {
		size, needs = s.win.Canvas().Size(), s.win.Content().MinSize()
		img = s.win.Canvas().Capture()
		if img == nil || plain(img) {
			var grabbed image.Image
			grabbed, err = grabWindow(s.win)
			if grabbed != nil {
				img = grabbed
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("capture the window: %w", err)
	}
	// A view wider or taller than the window makes Fyne grow the window:
	// that breaks the promise that every view works at ui.WindowSize.
	if size != ui.WindowSize {
		return nil, fmt.Errorf("the window is %vx%v, not %vx%v: the view needs %vx%v",
			size.Width, size.Height, ui.WindowSize.Width, ui.WindowSize.Height, needs.Width, needs.Height)
	}
	if img == nil || plain(img) {
		return nil, errors.New("the window could not be captured: the picture is empty")
	}
	return img, nil
}

// plain reports whether img is all one colour: an empty capture, not a
// view, which always has text on a background.
func plain(img image.Image) bool {
	r := img.Bounds()
	if r.Empty() {
		return true
	}
	first := img.At(r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.At(x, y) != first {
				return false
			}
		}
	}
	return true
}

func sameImage(a, b image.Image) bool {
	r := a.Bounds()
	if r != b.Bounds() {
		return false
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// writePNG writes img to path through a temporary file beside it, so a
// failed run never leaves a half-written picture for the README.
func writePNG(path string, img image.Image) error {
	tmp := strings.TrimSuffix(path, ".png") + ".tmp.png"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	// Best compression: the pictures are committed, and encoding is
	// a fraction of the run.
	err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// children lists what o shows of itself, as far as public API reveals it:
// containers and the container widgets the views are built from. Other
// widgets are leaves here. UI goroutine.
func children(o fyne.CanvasObject) []fyne.CanvasObject {
	switch x := o.(type) {
	case *fyne.Container:
		return x.Objects
	case *container.Split:
		return []fyne.CanvasObject{x.Leading, x.Trailing}
	case *container.Scroll:
		return []fyne.CanvasObject{x.Content}
	case *container.AppTabs:
		if it := x.Selected(); it != nil {
			return []fyne.CanvasObject{it.Content}
		}
	case *widget.Card:
		return []fyne.CanvasObject{x.Content}
	case *widget.Form:
		var out []fyne.CanvasObject
		for _, it := range x.Items {
			out = append(out, it.Widget)
		}
		return out
	}
	return nil
}

// walk calls f on o and everything visible below it, depth first, until f
// returns false. UI goroutine.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject) bool) bool {
	if o == nil || !o.Visible() {
		return true
	}
	if !f(o) {
		return false
	}
	for _, c := range children(o) {
		if !walk(c, f) {
			return false
		}
	}
	return true
}

// textsOf is the visible text of content, in layout order: what a view
// says changes when it loads or shows a selection. Entries are left out,
// since one of them may hold a secret. UI goroutine.
func textsOf(content fyne.CanvasObject) []string {
	var out []string
	walk(content, func(o fyne.CanvasObject) bool {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.RichText:
			out = append(out, x.String())
		case *canvas.Text:
			out = append(out, x.Text)
		case *widget.Button:
			// Whether it is enabled counts: selecting a row often only
			// enables buttons.
			out = append(out, fmt.Sprintf("%s (disabled %t)", x.Text, x.Disabled()))
		case *widget.Check:
			out = append(out, x.Text)
		case *widget.Select:
			out = append(out, x.Selected)
		case *widget.Table:
			rows, cols := x.Length()
			out = append(out, fmt.Sprintf("table %dx%d", rows, cols))
		case *widget.List:
			out = append(out, fmt.Sprintf("list %d", x.Length()))
		}
		return true
	})
	return out
}

// firstSelect is the first drop-down in content, nil if none. UI
// goroutine.
func firstSelect(content fyne.CanvasObject) *widget.Select {
	var found *widget.Select
	walk(content, func(o fyne.CanvasObject) bool {
		if sel, ok := o.(*widget.Select); ok {
			found = sel
			return false
		}
		return true
	})
	return found
}

// firstSelectable is the first table or list in content, nil if none. UI
// goroutine.
func firstSelectable(content fyne.CanvasObject) fyne.CanvasObject {
	var found fyne.CanvasObject
	walk(content, func(o fyne.CanvasObject) bool {
		switch o.(type) {
		case *widget.Table, *widget.List:
			found = o
			return false
		}
		return true
	})
	return found
}

// pickEvent chooses the newest snapshot event that has other events of the
// same snapshot, so the details pane shows the correlation; else the
// newest event.
func pickEvent(ctx context.Context, a *app.App) (int, error) {
	rows, err := a.Store().ListEvents(ctx, store.EventFilter{Limit: 50})
	if err != nil || len(rows) == 0 {
		return -1, err
	}
	for i, r := range rows {
		if r.Test || r.SnapshotName == "" {
			continue
		}
		related, err := a.Store().EventsBySnapshot(ctx, r.SnapshotID, 3)
		if err != nil {
			return -1, err
		}
		if len(related) > 1 {
			return i, nil
		}
	}
	return 0, nil
}

// pickFirstRejection selects the newest refused delivery, if any.
func pickFirstRejection(ctx context.Context, a *app.App) (int, error) {
	rows, err := a.Store().ListRejections(ctx, store.RejectionFilter{Limit: 1})
	if err != nil || len(rows) == 0 {
		return -1, err
	}
	return 0, nil
}

// pickFirstRule selects the first rule, if any.
func pickFirstRule(_ context.Context, a *app.App) (int, error) {
	if len(a.Remediation().Rules()) == 0 {
		return -1, nil
	}
	return 0, nil
}

// pickFirstPending selects the first proposal awaiting approval, if any.
func pickFirstPending(ctx context.Context, a *app.App) (int, error) {
	ps, err := a.Remediation().Proposals(ctx, store.StatePending, 1)
	if err != nil || len(ps) == 0 {
		return -1, err
	}
	return 0, nil
}
