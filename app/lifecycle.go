package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/store"
)

// runGroup is goroutines started and stopped together: they watch one
// context, and Stop cancels it and waits for all of them.
type runGroup struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newRunGroup(parent context.Context) *runGroup {
	ctx, cancel := context.WithCancel(parent)
	return &runGroup{ctx: ctx, cancel: cancel}
}

// Go runs fn on a goroutine of the group.
func (g *runGroup) Go(fn func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(g.ctx)
	}()
}

// Stop cancels the group's context and waits for its goroutines. It may be
// called on a nil group.
func (g *runGroup) Stop() {
	if g == nil {
		return
	}
	g.cancel()
	g.wg.Wait()
}

// part is one piece of what a started App runs.
type part struct {
	name  string
	start func(ctx context.Context) error
	stop  func(ctx context.Context) error
}

// parts is everything Start starts, in order; Shutdown stops them in the
// reverse order. The order is written here once, and it is what makes a
// quit lose nothing: the listener stops first (requests in flight are
// answered, each committed before its answer), then nothing outside can
// cause work (the watch, catch-up), then the work already queued by
// answered deliveries (notifications, proposals, lookups) drains, then the
// lookups stop (one not yet made is recorded pending, for the next start),
// then remediation stops (a run still going is stopped and recorded as
// interrupted). The notification center
// and the store, opened by Open, close after all of them.
func (a *App) parts() []part {
	return []part{
		{"remediation", a.startRemediation, func(context.Context) error { return a.rem.Close() }},
		{"IP Fabric lookups", a.startEnrich, a.stopEnrich},
		{"post-processing", a.startPost, a.stopPost},
		{"retention", a.startRetention, a.stopRetention},
		{"catch-up", a.startCatchUp, a.stopCatchUp},
		{"data directory watch", a.startWatch, a.stopWatch},
		{"listener", a.startListener, a.stopListener},
	}
}

// errShutDown is what Start, or a bind, after Shutdown returns: nothing may
// serve once the store is closed.
var errShutDown = errors.New("ipfwatch is shutting down")

// Start starts everything parts lists. A listener that cannot bind is not
// an error here: the state says so and the UI shows it; Start fails only
// when the app cannot work at all, and then it has stopped what it started.
func (a *App) Start(ctx context.Context) error {
	a.changeMu.Lock()
	defer a.changeMu.Unlock()
	switch a.phase {
	case started:
		return errors.New("app already started")
	case stopped:
		return errShutDown
	}
	a.ctx = ctx
	ps := a.parts()
	for i, p := range ps {
		if err := p.start(ctx); err != nil {
			for j := i - 1; j >= 0; j-- {
				ps[j].stop(context.Background())
			}
			a.ctx = nil
			return fmt.Errorf("start %s: %w", p.name, err)
		}
	}
	a.phase = started
	if a.secretSet.Load().Current == "" {
		a.log.Warn("no webhook secret configured: every delivery is answered 503 until one is set",
			"how", "run `ipfwatch secret --generate`, set the secret in Settings, or set "+config.EnvSecret)
	}
	return nil
}

// Shutdown stops what Start started, in the reverse order of parts, then
// closes the notification center and the store after its last commit. It
// may be called more than once, and on an App that never started.
func (a *App) Shutdown(ctx context.Context) error {
	a.changeMu.Lock()
	defer a.changeMu.Unlock()
	if a.phase == stopped {
		return nil
	}
	var err error
	if a.phase == started {
		ps := a.parts()
		for i := len(ps) - 1; i >= 0; i-- {
			if e := ps[i].stop(ctx); e != nil {
				err = errors.Join(err, fmt.Errorf("stop %s: %w", ps[i].name, e))
			}
		}
	} else {
		err = a.rem.Close()
	}
	a.phase = stopped
	if c := a.ipf(); c != nil {
		c.Close()
	}
	a.center.Close()
	return errors.Join(err, a.store.Close())
}

func (a *App) startRemediation(ctx context.Context) error {
	if a.opts.NoRunner {
		return nil
	}
	return a.rem.Start(ctx)
}

func (a *App) startEnrich(ctx context.Context) error {
	a.enrich.Start(ctx)
	return nil
}

func (a *App) stopEnrich(context.Context) error {
	a.enrich.Stop()
	return nil
}

func (a *App) startPost(context.Context) error {
	a.post.start(a.processPost)
	return nil
}

// stopPost lets the worker finish what answered deliveries queued.
func (a *App) stopPost(context.Context) error {
	a.post.close()
	return nil
}

func (a *App) startRetention(context.Context) error {
	a.mu.Lock()
	r := retentionOf(a.effective)
	a.mu.Unlock()
	a.restartRetention(r)
	return nil
}

func (a *App) stopRetention(context.Context) error {
	a.retention.Stop()
	a.retention = nil
	return nil
}

// restartRetention (re)starts the retention loop with r, so a changed
// retention applies at once rather than at the next restart. Call it with
// changeMu held.
func (a *App) restartRetention(r store.Retention) {
	a.retention.Stop()
	g := newRunGroup(a.ctx)
	g.Go(func(ctx context.Context) { a.store.RunRetention(ctx, r, time.Hour, a.now, a.log) })
	a.retention = g
}

func (a *App) startListener(context.Context) error {
	a.mu.Lock()
	s := a.effective
	a.mu.Unlock()
	a.serving = newRunGroup(context.Background())
	if err := a.bind(s); err != nil {
		a.log.Error("listener not started", "addr", s.Listen, "err", err)
	}
	return nil
}

// stopListener shuts the listener down gracefully: requests in flight, on
// the current server and on any a rebind replaced, are answered first.
func (a *App) stopListener(ctx context.Context) error {
	a.mu.Lock()
	srv := a.srv
	a.srv = nil
	a.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.shutdown(ctx)
	}
	a.serving.Stop()
	return err
}
