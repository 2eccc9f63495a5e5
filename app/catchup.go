package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ipfwatch/ipfwatch/app/catchup"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Catch-up timings while IP Fabric's API is configured.
const (
	// catchUpEvery is how often the running app asks for snapshots it may
	// have missed.
	catchUpEvery = 15 * time.Minute
	// wakeCheckEvery is how often the wall clock is compared with the
	// monotonic one: a jump means the machine slept, and catch-up runs at
	// once rather than at the next catchUpEvery.
	wakeCheckEvery = time.Minute
	// sleptAtLeast is the difference that counts as a sleep.
	sleptAtLeast = 30 * time.Second
)

// CatchUp asks IP Fabric for the snapshots finished since then and stores
// the events no webhook brought, which are then enriched and matched like
// any other, before it returns: `ipfwatch catch-up`, whose App serves that
// command only. It returns the events it added.
func (a *App) CatchUp(ctx context.Context, since time.Time) ([]webhook.Event, error) {
	return a.catchUp(ctx, since, false)
}

// catchUp is CatchUp; with running, the follow-up work of the events it
// added is queued for the started App's post-processing instead.
func (a *App) catchUp(ctx context.Context, since time.Time, running bool) ([]webhook.Event, error) {
	c := a.ipf()
	if c == nil {
		_, why := a.ipfState()
		return nil, fmt.Errorf("IP Fabric's API is not configured: %s", why)
	}
	var added []webhook.Event // as stored, with their ids
	_, err := catchup.Run(ctx, c, func(ctx context.Context, e webhook.Event) (bool, error) {
		res, err := a.store.InsertEvent(ctx, e)
		if err != nil || res.Duplicate {
			return false, err
		}
		e.ID, e.LastSeenAt = res.ID, e.ReceivedAt
		added = append(added, e)
		if running {
			a.post.push(postItem{event: &e})
		}
		return true, nil
	}, since, a.now())
	if !running {
		for _, e := range added {
			a.processNow(ctx, e)
		}
	}
	if len(added) > 0 {
		a.mu.Lock()
		a.caughtUp, a.caughtUpAt = len(added), a.now()
		a.mu.Unlock()
		a.publish(Change{Kind: StateChanged})
		a.log.Info("caught up from IP Fabric", "events", len(added), "since", since)
	}
	return added, err
}

// processNow is post-processing in the caller's goroutine, for an App that
// only serves a command (`ipfwatch catch-up`): no notification, the lookup
// done here, rules matched.
func (a *App) processNow(ctx context.Context, e webhook.Event) {
	if _, err := a.rem.OnEvent(ctx, e); err != nil {
		a.log.Error("remediation: proposals not created", "event", e.ID, "err", err)
	}
	if wants, _ := enrich.Wants(e.Payload); wants && a.ipf() != nil {
		if _, err := a.enrich.Redo(ctx, e.ID); err != nil {
			a.log.Warn("IP Fabric lookup", "event", e.ID, "err", err)
		}
	}
}

// ipfState is whether the API is configured, and why not.
func (a *App) ipfState() (bool, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ipfClient != nil, a.ipfErr
}

// catchUpSince is where catch-up at start begins: when ipfwatch last ran
// on this data directory, never before it was first used.
func (a *App) catchUpSince(ctx context.Context) time.Time {
	first, _ := a.store.MetaTime(ctx, store.MetaFirstUsed)
	last, _ := a.store.MetaTime(ctx, store.MetaLastRan)
	if last.Before(first) {
		return first
	}
	return last
}

// noteRan records that ipfwatch has seen everything up to at (while it
// runs, webhooks bring what happens), for the next start's catch-up.
func (a *App) noteRan(ctx context.Context, at time.Time) {
	if err := a.store.SetMetaTime(ctx, store.MetaLastRan, at, false); err != nil {
		a.log.Warn("cannot record when ipfwatch ran", "err", err)
	}
}

func (a *App) startCatchUp(ctx context.Context) error {
	a.catching = newRunGroup(ctx)
	a.catching.Go(a.catchUpLoop)
	return nil
}

func (a *App) stopCatchUp(context.Context) error {
	a.catching.Stop()
	// While the last catch-up failed, what it asked for is still missing:
	// the next start asks again from there rather than from now.
	if !a.catchUpBehind {
		a.noteRan(context.Background(), a.now())
	}
	return nil
}

// catchUpReconfigured tells the catch-up loop the API configuration
// changed.
func (a *App) catchUpReconfigured() {
	select {
	case a.reconf <- struct{}{}:
	default:
	}
}

// catchUpLoop catches up at start, after the machine wakes from sleep, and
// every catchUpEvery, while the API is configured; while it is not, it
// waits for it without waking.
func (a *App) catchUpLoop(ctx context.Context) {
	since := a.catchUpSince(ctx)
	// The first catch-up uses the configuration as it is now: a change
	// announced before the loop ran (Open loads it) is no reason for a
	// second one.
	select {
	case <-a.reconf:
	default:
	}
	for {
		if ok, _ := a.ipfState(); !ok {
			select {
			case <-ctx.Done():
				return
			case <-a.reconf:
				continue
			}
		}
		// A failed catch-up keeps its start: the next one asks for the
		// same time again (what was stored meanwhile is a duplicate).
		began := a.now()
		if a.catchUpFrom(ctx, since) {
			since = began
			a.noteRan(ctx, began)
		}
		if !a.waitForCatchUp(ctx) {
			return
		}
	}
}

// catchUpFrom runs one catch-up, logs what came of it and reports whether
// it succeeded. The loop's goroutine owns catchUpBehind.
func (a *App) catchUpFrom(ctx context.Context, since time.Time) bool {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	_, err := a.catchUp(cctx, since.Add(-time.Minute), true)
	a.catchUpBehind = err != nil
	if err != nil && ctx.Err() == nil {
		a.log.Warn("catch-up from IP Fabric failed; asked again later from the same time", "since", since, "err", err)
	}
	return err == nil
}

// waitForCatchUp waits until the next catch-up is due: catchUpEvery, a
// wake from sleep, or a configuration change. It returns false when ctx
// ends.
func (a *App) waitForCatchUp(ctx context.Context) bool {
	t := time.NewTicker(wakeCheckEvery)
	defer t.Stop()
	start, prev := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-a.reconf:
			return true
		case now := <-t.C:
			// The monotonic clock stops while the machine sleeps; the wall
			// clock does not.
			wall := now.Round(0).Sub(prev.Round(0))
			if wall-now.Sub(prev) > sleptAtLeast {
				a.log.Info("the machine slept: catching up from IP Fabric", "for", (wall - now.Sub(prev)).Round(time.Second))
				return true
			}
			prev = now
			if now.Sub(start) >= catchUpEvery {
				return true
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}
