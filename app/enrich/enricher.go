package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Client is what enrichment asks of IP Fabric. *ipf.Client implements it.
type Client interface {
	Snapshot(ctx context.Context, id string) (ipf.Snapshot, error)
	Checks(ctx context.Context, snapshotID string) ([]ipf.Check, error)
	CheckByID(ctx context.Context, snapshotID, reportID string) (ipf.Check, error)
}

// Store is where enrichments are kept. *store.Store implements it.
type Store interface {
	GetEvent(ctx context.Context, id int64) (webhook.Event, error)
	PutEnrichment(ctx context.Context, e store.Enrichment) error
	Enrichment(ctx context.Context, eventID int64) (store.Enrichment, error)
	DueEnrichments(ctx context.Context, now time.Time) ([]store.Enrichment, error)
	NextEnrichmentRetry(ctx context.Context) (time.Time, error)
}

// DefaultBackoff is how long after a failed lookup it is tried again: a
// laptop off the VPN for a moment, an appliance restarting.
var DefaultBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// lookupTimeout bounds one whole lookup (each call has its own 15 s).
const lookupTimeout = 2 * time.Minute

// Options configure an Enricher.
type Options struct {
	// Client returns the client in force, nil while IP Fabric's API is not
	// configured: nothing is asked then.
	Client func() Client
	// Done is told of every lookup that ended (done or failed), on the
	// Enricher's goroutine, with the event it was for.
	Done    func(e webhook.Event, r Result)
	Now     func() time.Time
	Logger  *slog.Logger
	Backoff []time.Duration // default DefaultBackoff
}

// Enricher looks events up on a goroutine of its own, one at a time, and
// retries failed lookups on schedule, also across restarts (the schedule is
// in the store).
type Enricher struct {
	st  Store
	o   Options
	log *slog.Logger

	procMu sync.Mutex // one lookup at a time, queued or redone

	mu      sync.Mutex
	queue   []webhook.Event
	queued  map[int64]bool // the ids in queue
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started bool
}

// New builds an Enricher; Start runs it.
func New(st Store, o Options) *Enricher {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Client == nil {
		o.Client = func() Client { return nil }
	}
	return &Enricher{st: st, o: o, log: o.Logger.With("component", "enrich"),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Configured reports whether IP Fabric's API is configured now.
func (x *Enricher) Configured() bool { return x.o.Client() != nil }

// Add queues a newly stored event for lookup, if it needs one and the API
// is configured, and records it pending (so it shows as waiting, and a
// stop before the lookup leaves it for the next start); it reports whether
// it queued it.
func (x *Enricher) Add(e webhook.Event) bool {
	if wants, _ := Wants(e.Payload); !wants || !x.Configured() {
		return false
	}
	if err := x.record(context.Background(), e, Result{State: store.EnrichPending}); err != nil {
		x.log.Error("lookup not recorded as pending", "event", e.ID, "err", err)
	}
	x.enqueue(e)
	x.poke()
	return true
}

// enqueue adds e to the queue unless it is there already.
func (x *Enricher) enqueue(e webhook.Event) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.queued == nil {
		x.queued = map[int64]bool{}
	}
	if !x.queued[e.ID] {
		x.queued[e.ID] = true
		x.queue = append(x.queue, e)
	}
}

func (x *Enricher) poke() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Start runs the lookups until ctx ends or Stop, beginning with those a
// previous run left due.
func (x *Enricher) Start(ctx context.Context) {
	x.mu.Lock()
	x.started = true
	x.mu.Unlock()
	go x.loop(ctx)
}

// Stop ends the loop and waits for a lookup under way to finish. Lookups
// still queued stay recorded pending, so the next start makes them.
func (x *Enricher) Stop() {
	x.mu.Lock()
	started := x.started
	x.mu.Unlock()
	if !started {
		return
	}
	close(x.stop)
	<-x.done
	// What is still queued is recorded pending already (Add): the next
	// start looks it up.
}

func (x *Enricher) loop(ctx context.Context) {
	defer close(x.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-x.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	x.queueDue(ctx)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		x.mu.Lock()
		var e webhook.Event
		next := len(x.queue) > 0
		if next {
			e = x.queue[0]
			x.queue = x.queue[1:]
			delete(x.queued, e.ID)
		}
		x.mu.Unlock()
		if next {
			if _, err := x.lookUp(ctx, e, false); err != nil && ctx.Err() == nil {
				x.log.Error("lookup not recorded", "event", e.ID, "err", err)
			}
			continue
		}
		// Nothing queued: sleep until the next scheduled retry, if any.
		if at, err := x.st.NextEnrichmentRetry(ctx); err == nil && !at.IsZero() {
			retry.Reset(max(at.Sub(x.o.Now()), 0))
		}
		select {
		case <-ctx.Done():
			retry.Stop()
			return
		case <-x.wake:
		case <-retry.C:
			x.queueDue(ctx)
		}
		retry.Stop()
	}
}

// queueDue queues the lookups due now: retries whose time has come and
// lookups a stopped process left pending.
func (x *Enricher) queueDue(ctx context.Context) {
	due, err := x.st.DueEnrichments(ctx, x.o.Now())
	if err != nil {
		if ctx.Err() == nil {
			x.log.Error("cannot read due lookups", "err", err)
		}
		return
	}
	for _, d := range due {
		e, err := x.st.GetEvent(ctx, d.EventID)
		if err != nil {
			x.log.Warn("event of a due lookup not readable", "event", d.EventID, "err", err)
			continue
		}
		x.enqueue(e)
	}
}

// Redo looks event id up again now, whatever its state, as a first
// attempt: `ipfwatch enrich ID` and the Look up again button.
func (x *Enricher) Redo(ctx context.Context, id int64) (Result, error) {
	e, err := x.st.GetEvent(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if wants, skip := Wants(e.Payload); !wants {
		return Result{State: store.EnrichSkipped, Reason: skip}, nil
	}
	if !x.Configured() {
		return Result{}, errors.New("IP Fabric's API is not configured: set IPF_URL and a token (ipfwatch ipf token --set-stdin)")
	}
	return x.lookUp(ctx, e, true)
}

// lookUp asks IP Fabric for what e needs and records the outcome: pending
// while it asks, then done or failed (with a retry scheduled while tries
// remain). fresh starts the count of attempts over.
func (x *Enricher) lookUp(ctx context.Context, e webhook.Event, fresh bool) (Result, error) {
	x.procMu.Lock()
	defer x.procMu.Unlock()
	plan, _ := planFor(e.Payload)
	attempts, pending := 1, false
	if !fresh {
		if prev, err := x.st.Enrichment(ctx, e.ID); err == nil {
			attempts = prev.Attempts + 1
			pending = prev.State == store.EnrichPending // as Add recorded it
		}
	}
	client := x.o.Client()
	if client == nil {
		r := Result{State: store.EnrichFailed, Reason: "IP Fabric's API is not configured", Attempts: attempts}
		return r, x.record(ctx, e, r)
	}
	if !pending {
		if err := x.record(ctx, e, Result{State: store.EnrichPending, Attempts: attempts - 1}); err != nil {
			return Result{}, err
		}
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	r, err := ask(lctx, client, plan)
	cancel()
	if ctx.Err() != nil {
		// Stopping: the pending row makes the next start try again.
		return r, ctx.Err()
	}
	r.Attempts = attempts
	if err != nil {
		r = Result{State: store.EnrichFailed, Reason: err.Error(), Attempts: attempts}
		if attempts <= len(x.o.Backoff) {
			r.NextAttempt = x.o.Now().Add(x.o.Backoff[attempts-1])
		}
		x.log.Warn("IP Fabric lookup failed", "event", e.ID, "attempt", attempts, "err", err,
			"retry_at", r.NextAttempt)
	} else {
		r.State = store.EnrichDone
		x.log.Info("IP Fabric lookup done", "event", e.ID, "checks", len(r.Checks))
	}
	if err := x.record(ctx, e, r); err != nil {
		return r, err
	}
	if x.o.Done != nil {
		x.o.Done(e, r)
	}
	return r, nil
}

func (x *Enricher) record(ctx context.Context, e webhook.Event, r Result) error {
	row, err := encode(e.ID, r, x.o.Now())
	if err != nil {
		return err
	}
	return x.st.PutEnrichment(context.WithoutCancel(ctx), row)
}

// ask makes the calls plan needs.
func ask(ctx context.Context, c Client, plan lookup) (Result, error) {
	var r Result
	if plan.snapshotID != "" {
		s, err := c.Snapshot(ctx, plan.snapshotID)
		if err != nil {
			return r, fmt.Errorf("snapshot %s: %w", plan.snapshotID, err)
		}
		r.Snapshot = &s
	}
	if plan.checksOf != "" {
		checks, err := c.Checks(ctx, plan.checksOf)
		if err != nil {
			return r, fmt.Errorf("intent checks of snapshot %s: %w", plan.checksOf, err)
		}
		r.Checks = nonNil(checks)
	}
	for _, id := range plan.reportIDs {
		k, err := c.CheckByID(ctx, "", id)
		if err != nil {
			return r, fmt.Errorf("intent check %s: %w", id, err)
		}
		r.Checks = append(nonNil(r.Checks), k)
	}
	return r, nil
}

func nonNil(c []ipf.Check) []ipf.Check {
	if c == nil {
		return []ipf.Check{}
	}
	return c
}

// Load returns an event's enrichment as stored, or what its absence means.
func Load(ctx context.Context, st interface {
	Enrichment(ctx context.Context, eventID int64) (store.Enrichment, error)
}, e webhook.Event) (Result, error) {
	row, err := st.Enrichment(ctx, e.ID)
	if errors.Is(err, store.ErrNotFound) {
		return NotLookedUp(e.Payload), nil
	}
	if err != nil {
		return Result{}, err
	}
	return Decode(row)
}
