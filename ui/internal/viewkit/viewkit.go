// Package viewkit is what every view of the main window is built on: the
// options they all take (where times are shown, how work reaches the UI
// goroutine, where failures are logged, the clock), and Base, which runs a
// view's queries off the UI goroutine and its results on it, and stops
// them when the shell says the window is going. Each view embeds Base.
package viewkit

import (
	"context"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/ui/internal/async"
)

// QueryTimeout bounds one query of a view: a stuck database must not leave
// the view waiting forever.
const QueryTimeout = 30 * time.Second

// Options are what New of every view takes.
type Options struct {
	Loc *time.Location
	// Do runs a function on the UI goroutine. It is fyne.Do; tests replace
	// it with a queue they drain on their own goroutine, which then plays
	// the UI goroutine, as the real driver does.
	Do  func(func())
	Log *slog.Logger
	Now func() time.Time
	// Tick is how often a view whose content depends on the clock (time
	// left to approve) refreshes; 0 never.
	Tick time.Duration
}

// Option changes how New builds a view.
type Option func(*Options)

// WithLocation shows times in loc instead of the local time zone (tests use
// a fixed zone so rendered output does not depend on the machine).
func WithLocation(loc *time.Location) Option { return func(o *Options) { o.Loc = loc } }

// WithLogger sets where failures are logged (default slog.Default).
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Log = l } }

// WithNow sets the clock (default time.Now). Give a view the App's clock,
// so the view and the store agree on, say, expiry.
func WithNow(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithDo sets how work reaches the UI goroutine (default fyne.Do).
func WithDo(do func(func())) Option { return func(o *Options) { o.Do = do } }

// WithTick sets how often a clock-dependent view refreshes; 0 never.
func WithTick(d time.Duration) Option { return func(o *Options) { o.Tick = d } }

// Base is the plumbing of one view: its options and its goroutines.
type Base struct {
	Opt Options
	// Pending counts the view's work not yet applied, so tests can wait
	// for quiet, and owns the view's goroutines.
	Pending async.Tracker
}

// Init applies the defaults, then opts, then the options a view adds of
// its own (extra, applied first so that opts win).
func (b *Base) Init(opts []Option, extra ...Option) {
	b.Opt = Options{Loc: time.Local, Do: fyne.Do, Log: slog.Default(), Now: time.Now}
	for _, o := range append(extra, opts...) {
		o(&b.Opt)
	}
}

// Post runs fn on the UI goroutine, counted as pending until it has run.
func (b *Base) Post(fn func()) { b.Pending.Post(b.Opt.Do, fn) }

// Background runs work off the UI goroutine, with a context that ends after
// QueryTimeout or when the view stops, and then the function it returns
// (if any) on the UI goroutine.
func (b *Base) Background(work func(ctx context.Context) func()) {
	b.Pending.Background(b.Opt.Do, QueryTimeout, work)
}

// Query is a context for one query run from a goroutine that is not the
// view's own (the shell's forwarder calling Changed).
func (b *Base) Query() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.Pending.Context(), QueryTimeout)
}

// Stop ends the view's context and waits for its goroutines: the shell
// calls it before the window goes for good.
func (b *Base) Stop() { b.Pending.Stop() }
