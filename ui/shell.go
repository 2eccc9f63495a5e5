package ui

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/ui/internal/async"
	"github.com/ipfwatch/ipfwatch/ui/internal/idle"
)

// Timings of the shell's background work.
const (
	// statusEvery refreshes the status even when nothing is announced, so
	// "today" rolls over at midnight and a mute's end shows.
	statusEvery = 30 * time.Second
	// refreshSettle lets a burst of deliveries collapse into one status
	// refresh (a.Status reads the store) instead of one per delivery.
	refreshSettle = 250 * time.Millisecond
	// testTimeout bounds "Send test webhook".
	testTimeout = 15 * time.Second
	// shutdownTimeout bounds the graceful stop on Quit: in-flight
	// deliveries finish and the store flushes within it.
	shutdownTimeout = 30 * time.Second
)

// windowSize is the main window's initial size; every view must be usable
// at it.
var windowSize = fyne.NewSize(1000, 650)

// shell is the main window (tabs over a status bar), the optional tray, and
// the two goroutines that keep them current: one forwards the app's
// changes to the views, one recomputes the status off the UI goroutine.
type shell struct {
	a   *app.App
	fa  fyne.App
	log *slog.Logger
	win fyne.Window

	tabs  *container.AppTabs
	specs []tabSpec
	items []*container.TabItem
	views []view
	subs  []*app.Subscription // one per view, in the order of views
	bar   *statusBar
	tray  *tray // nil where there is no tray

	// do runs f on the UI goroutine. It is fyne.Do; tests swap in a queue
	// they drain on their own goroutine, which is how the real driver
	// behaves and keeps the race detector honest.
	do func(f func())
	// quitFyne ends fa.Run.
	quitFyne func()

	kick   chan struct{}
	ctx    context.Context // the shell's goroutines' context, from start
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// chores runs one-off work off the UI goroutine (a test webhook,
	// marking failures seen, unmuting, freeing memory): once the shell
	// stops, it starts none and applies nothing.
	chores     async.Tracker
	startOnce  sync.Once
	stopOnce   sync.Once
	quitting   atomic.Bool
	downOnce   sync.Once
	downErr    error
	foreground atomic.Bool // some window of ours has the focus
	onFailures atomic.Bool // the failures tab is the selected one

	st     app.Status // last shown; UI goroutine only
	paused bool
	built  bool // the views exist (buildViews); UI goroutine only
	shown  bool // the window is shown; UI goroutine only
	// parker keeps Fyne's loop from waking 60 times a second while no
	// window shows (nil in tests and tools, which never park).
	parker *idle.Parker
}

// newShell builds the main window with the tabs specs describes (tests
// and tools pass tabSpecs or their own). It starts nothing.
func newShell(a *app.App, fa fyne.App, log *slog.Logger, specs []tabSpec) *shell {
	s := newLazyShell(a, fa, log, specs)
	s.buildViews()
	return s
}

// newLazyShell is newShell for the tray app: the window's views are built
// when it is first opened (buildViews), not before. Laying views out is what
// makes Fyne load its fonts (tens of MB), and a tray app most often runs
// all day with its window never opened.
func newLazyShell(a *app.App, fa fyne.App, log *slog.Logger, specs []tabSpec) *shell {
	s := &shell{
		a: a, fa: fa, log: log,
		win:  fa.NewWindow("ipfwatch"),
		do:   fyne.Do,
		kick: make(chan struct{}, 1),
	}
	s.quitFyne = fa.Quit
	s.specs = specs
	s.win.Resize(windowSize)
	// Closing the window only hides it: ipfwatch lives in the tray and
	// keeps listening. Quit is in the tray menu.
	s.win.SetCloseIntercept(s.hide)
	fa.Lifecycle().SetOnEnteredForeground(func() {
		s.foreground.Store(true)
		if s.onFailures.Load() {
			s.markFailuresSeen()
		}
	})
	fa.Lifecycle().SetOnExitedForeground(func() { s.foreground.Store(false) })
	fa.Settings().AddListener(func(fyne.Settings) {
		s.do(func() {
			if s.tray != nil {
				s.tray.setDarkPanel(s.darkTheme())
			}
			if s.built {
				s.bar.show(s.st, s.darkTheme())
			}
		})
	})
	return s
}

// buildViews builds the tabs, their views and the status bar, once. Each
// view is subscribed before it is built, so nothing that changes after its
// first load goes unannounced; changes wait in its mailbox until its
// goroutine runs. UI goroutine.
func (s *shell) buildViews() {
	if s.built {
		return
	}
	s.built = true
	for _, sp := range s.specs {
		s.subs = append(s.subs, s.a.Subscribe())
		v := sp.new(s.a, s.win)
		s.views = append(s.views, v)
		s.items = append(s.items, container.NewTabItemWithIcon(sp.title, sp.icon, v.Content()))
	}
	s.tabs = container.NewAppTabs(s.items...)
	s.tabs.OnSelected = func(it *container.TabItem) { s.selected(s.idOf(it)) }
	s.bar = newStatusBar()
	s.win.SetContent(container.NewBorder(nil, s.bar.content, nil, nil, s.tabs))
	s.win.Resize(windowSize)
	if s.ctx != nil {
		s.startViews(s.ctx)
		s.freeAfterBuild()
	}
	s.show(s.st, s.paused)
}

// buildSettle is how long after the views are built their first loads and
// renders are done: the heap then holds far less than at its peak (fonts
// parsed, pages decoded, layouts measured).
const buildSettle = 3 * time.Second

// freeAfterBuild hands the heap building the views left behind back to the
// system once it has settled. Go's scavenger would return it too, but only
// over minutes; the window's memory is what an engineer sees in a task
// manager.
func (s *shell) freeAfterBuild() {
	s.chores.Go(func(ctx context.Context) {
		t := time.NewTimer(buildSettle)
		defer t.Stop()
		select {
		case <-t.C:
			debug.FreeOSMemory()
		case <-ctx.Done():
		}
	})
}

// hide closes the window to the tray, and hands the memory it no longer
// needs back to the system: a tray app idles with its window closed.
func (s *shell) hide() {
	s.shown = false
	s.win.Hide()
	s.chores.Go(func(context.Context) { debug.FreeOSMemory() })
}

// attachTray puts ipfwatch in the tray. On Linux the panel must run a
// StatusNotifierWatcher (KDE, XFCE, Cinnamon do; GNOME needs the
// AppIndicator extension): without one the item is exported but nobody
// shows it, and systray registers again when a watcher appears.
func (s *shell) attachTray(host trayHost) {
	s.tray = newTray(host, s.trayActions(), s.darkTheme())
	s.tray.update(s.st, s.paused)
}

// darkTheme reports whether Fyne's theme variant is dark. It stands in for
// the panel's colour, which no tray protocol reveals: Fyne follows the
// desktop's colour-scheme preference (the freedesktop portal on Linux,
// the system appearance on macOS and Windows), and panels follow it on the
// desktops that have both variants. A panel that is always dark (GNOME's
// top bar) under a light scheme gets the dark-stroked icon, which still
// reads thanks to its coloured badge.
func (s *shell) darkTheme() bool {
	return s.fa.Settings().ThemeVariant() == theme.VariantDark
}

func (s *shell) trayActions() trayActions {
	return trayActions{
		Open:          func() { s.showTab("") },
		OpenApprovals: func() { s.showTab(tabApprovals) },
		OpenFailures:  func() { s.showTab(tabFailures) },
		SetPaused:     s.a.SetPaused,
		Mute:          func() { s.a.Mute(muteFor) },
		// Unmute sends the summary notification, which may wait on the
		// notification daemon: not on the UI goroutine.
		Unmute:   func() { s.chores.Go(func(context.Context) { s.a.Unmute() }) },
		SendTest: s.sendTest,
		Quit:     s.quit,
	}
}

// showTab shows the window, with tab id in front unless id is empty.
func (s *shell) showTab(id tabID) {
	s.buildViews()
	if id != "" {
		for i, sp := range s.specs {
			if sp.id != id {
				continue
			}
			if s.tabs.Selected() == s.items[i] {
				// Select does not call OnSelected for the tab already in
				// front, and the engineer asked to see it now.
				s.selected(id)
			} else {
				s.tabs.Select(s.items[i])
			}
		}
	}
	s.shown = true
	if s.parker != nil {
		s.parker.Wake()
	}
	s.win.Show()
	s.win.RequestFocus()
}

func (s *shell) idOf(it *container.TabItem) tabID {
	for i, x := range s.items {
		if x == it {
			return s.specs[i].id
		}
	}
	return ""
}

// selected follows the tab in front: the shell marks failures seen when
// they are in front (the tray's attention is its business), and a view that
// wants to know it is shown is told.
func (s *shell) selected(id tabID) {
	s.onFailures.Store(id == tabFailures)
	if id == tabFailures {
		s.markFailuresSeen()
	}
	for i, sp := range s.specs {
		if sp.id == id {
			if n, ok := s.views[i].(shownNotifier); ok {
				n.Shown()
			}
		}
	}
}

// markFailuresSeen clears the tray's attention for new rejections: the
// engineer is looking at them. It reads the store, so not here.
func (s *shell) markFailuresSeen() {
	s.chores.Go(func(ctx context.Context) { s.a.MarkFailuresSeen(ctx) })
}

func (s *shell) sendTest() {
	s.say("Sending a test webhook…")
	s.chores.Background(s.do, testTimeout, func(ctx context.Context) func() {
		ans, err := s.a.SendTest(ctx)
		msg := describeTest(ans.Status, ans.Body, err)
		if err != nil {
			s.log.Warn("test webhook failed", "err", err)
		}
		return func() { s.say(msg) }
	})
}

// say puts msg in the status bar, if the window has been built.
func (s *shell) say(msg string) {
	if s.built {
		s.bar.say(msg)
	}
}

// describeTest is the status bar's account of a test webhook.
func describeTest(status int, body string, err error) string {
	switch {
	case err != nil:
		return "Test webhook failed: " + err.Error()
	case status/100 == 2:
		return fmt.Sprintf("Test webhook accepted (HTTP %d)", status)
	}
	return fmt.Sprintf("Test webhook refused: HTTP %d %s", status, clip(body, 80))
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// start subscribes each view, and the status, to the app's changes. Each
// view gets a mailbox and a goroutine of its own, so a view that reads the
// database slowly delays no other view, nor the tray, nor the listener;
// changes it has not got to yet are coalesced, never dropped.
func (s *shell) start() {
	s.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.ctx, s.cancel = ctx, cancel
		if s.built {
			s.startViews(ctx)
		}
		sub := s.a.Subscribe()
		s.wg.Add(2)
		go func() {
			defer s.wg.Done()
			defer sub.Close()
			s.forward(ctx, sub)
		}()
		go func() {
			defer s.wg.Done()
			s.refreshLoop(ctx)
		}()
	})
}

// startViews runs each view's goroutine: it hands the view the changes in
// its mailbox.
func (s *shell) startViews(ctx context.Context) {
	for i, v := range s.views {
		sub := s.subs[i]
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer sub.Close()
			for {
				c, ok := sub.Next(ctx)
				if !ok {
					return
				}
				v.Changed(c)
			}
		}()
	}
}

// followRaises brings the window up for each request on raised, until the
// shell stops.
func (s *shell) followRaises(raised <-chan struct{}) {
	if raised == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.ctx.Done():
				return
			case _, ok := <-raised:
				if !ok {
					return
				}
				if s.parker != nil {
					s.parker.Wake()
				}
				s.do(func() { s.showTab("") })
			}
		}
	}()
}

// stop ends the shell's goroutines and every view's, and waits for them,
// so nothing of ours touches a widget once Fyne's loop has ended.
func (s *shell) stop() {
	s.stopOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		s.chores.Stop()
		for i, v := range s.views {
			s.subs[i].Close() // never started: start closes them itself
			v.Stop()
		}
	})
}

// forward asks for a status refresh when a change can alter the status.
func (s *shell) forward(ctx context.Context, sub *app.Subscription) {
	for {
		c, ok := sub.Next(ctx)
		if !ok {
			return
		}
		switch c.Kind {
		case app.RunOutput, app.EventDuplicate:
			// Neither changes a count or the state.
		case app.RejectionRecorded:
			if s.onFailures.Load() && s.foreground.Load() {
				s.a.MarkFailuresSeen(ctx) // publishes StateChanged
			} else {
				s.refresh()
			}
		default:
			s.refresh()
		}
	}
}

// refresh asks the refresh loop for a new status; requests made while one
// is pending collapse into it.
func (s *shell) refresh() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *shell) refreshLoop(ctx context.Context) {
	tick := time.NewTicker(statusEvery)
	defer tick.Stop()
	for {
		st := s.a.Status(ctx)
		paused := s.a.Paused()
		if ctx.Err() != nil {
			return
		}
		s.do(func() { s.show(st, paused) })
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.kick:
			select {
			case <-ctx.Done():
				return
			case <-time.After(refreshSettle):
			}
			select { // this refresh serves the requests made meanwhile
			case <-s.kick:
			default:
			}
		}
	}
}

// show puts a status on screen: tray, status bar and tab titles. UI
// goroutine only.
func (s *shell) show(st app.Status, paused bool) {
	s.st, s.paused = st, paused
	if s.tray != nil {
		s.tray.update(st, paused)
	}
	if !s.built {
		return // the window is built with the status it then has
	}
	s.bar.show(st, s.darkTheme())
	titles := map[tabID]string{}
	if st.Pending > 0 {
		titles[tabApprovals] = fmt.Sprintf("Approvals (%d)", st.Pending)
	}
	if st.UnseenFailures > 0 {
		titles[tabFailures] = fmt.Sprintf("Signature failures (%d new)", st.UnseenFailures)
	}
	changed := false
	for i, sp := range s.specs {
		t := sp.title
		if x, ok := titles[sp.id]; ok {
			t = x
		}
		if s.items[i].Text != t {
			s.items[i].Text = t
			changed = true
		}
	}
	if changed {
		s.tabs.Refresh()
	}
}

// quit is the tray's Quit: the listener stops gracefully (in-flight
// deliveries are answered, the store flushes), then the Fyne loop ends.
func (s *shell) quit() {
	if !s.quitting.CompareAndSwap(false, true) {
		return
	}
	s.win.Hide()
	go func() {
		s.stop()
		if err := s.shutdown(); err != nil {
			s.log.Error("shutdown", "err", err)
		}
		s.do(s.quitFyne)
	}()
}

// shutdown stops the app once, however many paths ask.
func (s *shell) shutdown() error {
	s.downOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		s.downErr = s.a.Shutdown(ctx)
	})
	return s.downErr
}
