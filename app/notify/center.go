package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options configures a Center. The zero value is usable.
type Options struct {
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// Window is how long a burst is collected into one summary after a
	// notification went out; 0 means 3 seconds.
	Window time.Duration
	// FailureInterval is the least time between two signature-failure
	// notifications; 0 means 5 minutes.
	FailureInterval time.Duration
	// Logger receives delivery failures; nil means slog.Default().
	Logger *slog.Logger
	// OnHealth, if set, is called (from the sending goroutine, outside any
	// lock) when sending starts failing or works again, so a status bar can
	// show LastError without polling.
	OnHealth func(err error)
}

// ErrBacklog is remembered as the last error when notifications pile up
// because the Sender does not return, which happens when the notification
// daemon hangs. The notifications that did not fit are dropped.
var ErrBacklog = errors.New("notify: notifications dropped: the notification daemon is not answering")

// queueSize bounds the notifications waiting for the Sender. Coalescing
// keeps the real rate at a few per window, so a full queue means the Sender
// is stuck, not that ipfwatch is busy.
const queueSize = 16

// closeTimeout bounds how long Close waits for a stuck Sender.
const closeTimeout = 5 * time.Second

// Center decides which notifications reach the desktop and when, so the
// engineer is told about what matters without a storm: the first
// notification after a quiet period goes out at once, the rest of a burst
// becomes one summary at the end of the window; signature failures are
// limited to one notification per FailureInterval carrying a count; while
// muted, notifications are only counted, and summarised on unmute.
//
// Post never blocks on the desktop: a single goroutine talks to the Sender,
// and its failures are logged and kept for LastError, never returned to the
// code that reported the event. All methods are safe for concurrent use.
type Center struct {
	sender          Sender
	now             func() time.Time
	window          time.Duration
	failureInterval time.Duration
	log             *slog.Logger
	onHealth        func(error)

	queue      chan Notification // to the sending goroutine
	wake       chan struct{}     // nudges the timer goroutine after a change
	stop       chan struct{}     // closed by Close
	timerDone  chan struct{}
	senderDone chan struct{}

	mu       sync.Mutex
	idle     *sync.Cond // signalled when inflight drops to 0
	inflight int        // queued or being sent
	closed   bool
	disabled map[Kind]bool
	lastErr  error

	windowEnd time.Time // end of the coalescing window; zero when quiet
	buffered  tally     // posted inside the window, not yet shown

	failureEnd   time.Time // end of the failure interval; zero when quiet
	failureCount int       // failures since the last failure notification

	muteUntil time.Time // zero when not muted
	muted     tally     // posted while muted
}

// NewCenter returns a Center delivering through s. Close it to flush and
// stop its goroutines.
func NewCenter(s Sender, o Options) *Center {
	c := &Center{
		sender:          s,
		now:             o.Now,
		window:          o.Window,
		failureInterval: o.FailureInterval,
		log:             o.Logger,
		onHealth:        o.OnHealth,
		queue:           make(chan Notification, queueSize),
		wake:            make(chan struct{}, 1),
		stop:            make(chan struct{}),
		timerDone:       make(chan struct{}),
		senderDone:      make(chan struct{}),
		disabled:        map[Kind]bool{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.window <= 0 {
		c.window = 3 * time.Second
	}
	if c.failureInterval <= 0 {
		c.failureInterval = 5 * time.Minute
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.idle = sync.NewCond(&c.mu)
	go c.sendLoop()
	go c.timerLoop()
	return c
}

// Post offers one notification. Whether and when it is shown depends on its
// kind being enabled, the mute, the coalescing window and, for signature
// failures, the failure interval. It returns at once.
func (c *Center) Post(n Notification) {
	c.mu.Lock()
	now := c.now()
	c.advanceLocked(now)
	switch {
	case c.closed:
		c.log.Debug("notification after close dropped", "kind", n.Kind, "title", n.Title)
	case c.disabled[n.Kind]:
		// Switched off in Settings: not shown, not counted.
	case c.mutedLocked(now):
		c.muted.add(n, 1)
	case n.Kind == SignatureFailure:
		c.postFailureLocked(n, now)
	default:
		c.coalesceLocked(n, now)
	}
	c.mu.Unlock()
	c.nudge()
}

// SetEnabled switches notifications of kind k on or off. Disabled kinds are
// dropped, not counted as muted, because the engineer chose not to hear of
// them at all.
func (c *Center) SetEnabled(k Kind, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on {
		delete(c.disabled, k)
	} else {
		c.disabled[k] = true
	}
}

// Enabled reports whether notifications of kind k are shown. Every kind is
// enabled until SetEnabled says otherwise.
func (c *Center) Enabled(k Kind) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.disabled[k]
}

// Mute counts instead of showing notifications until the given time. What
// was waiting in the coalescing window or for the failure interval is
// counted as muted too, so nothing surfaces during the mute. A time that
// has already passed unmutes.
func (c *Center) Mute(until time.Time) {
	c.mu.Lock()
	now := c.now()
	c.advanceLocked(now)
	if !until.After(now) {
		c.unmuteLocked(now)
	} else {
		c.muteUntil = until
		c.muted.merge(c.buffered)
		c.buffered = tally{}
		c.windowEnd = time.Time{}
		if c.failureCount > 0 {
			c.muted.add(Notification{Kind: SignatureFailure}, c.failureCount)
		}
		c.failureCount = 0
		c.failureEnd = time.Time{}
	}
	c.mu.Unlock()
	c.nudge()
}

// Unmute ends a mute now and sends one summary, "N notifications while
// muted", if anything was counted.
func (c *Center) Unmute() {
	c.mu.Lock()
	now := c.now()
	c.advanceLocked(now)
	c.unmuteLocked(now)
	c.mu.Unlock()
	c.nudge()
}

// Muted reports whether notifications are muted and until when. A mute
// ends by itself at its time, exactly as if Unmute had been called then.
func (c *Center) Muted() (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.advanceLocked(now)
	return c.mutedLocked(now), c.muteUntil
}

// LastError returns the error of the last delivery attempt, or nil once a
// later one succeeded, for the status bar.
func (c *Center) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Close sends what the coalescing window still holds, stops the goroutines
// and waits for the Sender to finish, at most a few seconds if it is stuck.
// Posts after Close are dropped. Close may be called more than once.
func (c *Center) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	now := c.now()
	c.advanceLocked(now)
	if c.buffered.n > 0 {
		c.enqueueLocked(c.buffered.summary())
		c.buffered = tally{}
	}
	c.closed = true
	close(c.queue)
	c.mu.Unlock()

	close(c.stop)
	<-c.timerDone
	select {
	case <-c.senderDone:
	case <-time.After(closeTimeout):
		c.log.Warn("notification sender still busy at close; leaving it", "waited", closeTimeout)
	}
}

func (c *Center) mutedLocked(now time.Time) bool {
	return !c.muteUntil.IsZero() && now.Before(c.muteUntil)
}

// advanceLocked does what became due by now: the mute expiring, the
// coalescing window ending, the failure interval ending. Every entry point
// calls it, so the Center behaves by its clock even when the timer goroutine
// has not woken yet (or never does, with a fake clock).
func (c *Center) advanceLocked(now time.Time) {
	if !c.muteUntil.IsZero() && !now.Before(c.muteUntil) {
		c.unmuteLocked(now)
	}
	if !c.windowEnd.IsZero() && !now.Before(c.windowEnd) {
		if c.buffered.n == 0 {
			c.windowEnd = time.Time{}
		} else {
			// A new window starts with the summary, so a steady
			// stream gives one notification per window.
			c.enqueueLocked(c.buffered.summary())
			c.buffered = tally{}
			c.windowEnd = now.Add(c.window)
		}
	}
	if !c.failureEnd.IsZero() && !now.Before(c.failureEnd) {
		if c.failureCount == 0 {
			c.failureEnd = time.Time{}
		} else {
			c.enqueueLocked(c.failureSummary(c.failureCount))
			c.failureCount = 0
			c.failureEnd = now.Add(c.failureInterval)
		}
	}
}

// coalesceLocked shows n at once after a quiet period, and otherwise keeps
// it for the summary at the end of the window.
func (c *Center) coalesceLocked(n Notification, now time.Time) {
	if c.windowEnd.IsZero() {
		c.enqueueLocked(n)
		c.windowEnd = now.Add(c.window)
		return
	}
	c.buffered.add(n, 1)
}

// postFailureLocked shows the first signature failure after a quiet
// interval as it is, with its details, and only counts the next ones.
func (c *Center) postFailureLocked(n Notification, now time.Time) {
	if c.failureEnd.IsZero() {
		c.enqueueLocked(n)
		c.failureEnd = now.Add(c.failureInterval)
		return
	}
	c.failureCount++
}

func (c *Center) failureSummary(count int) Notification {
	return Notification{
		Kind:  SignatureFailure,
		Title: "ipfwatch: " + plural(count, "signature failure", "signature failures"),
		Body: fmt.Sprintf("%s in the last %s; see Signature failures in ipfwatch",
			plural(count, "signature failure", "signature failures"), spell(c.failureInterval)),
	}
}

// unmuteLocked ends the mute and sends its summary through the coalescer,
// so events right after it do not pile on top of it.
func (c *Center) unmuteLocked(now time.Time) {
	if c.muteUntil.IsZero() {
		return
	}
	c.muteUntil = time.Time{}
	m := c.muted
	c.muted = tally{}
	if m.n == 0 {
		return
	}
	c.coalesceLocked(Notification{
		Kind:   summaryKind,
		Title:  fmt.Sprintf("ipfwatch: %s while muted", plural(m.n, "notification", "notifications")),
		Body:   m.describe(),
		Urgent: m.urgent,
	}, now)
}

// enqueueLocked hands n to the sending goroutine without waiting. A full
// queue means the Sender is stuck: n is dropped and the status bar told.
func (c *Center) enqueueLocked(n Notification) {
	if c.closed {
		return
	}
	select {
	case c.queue <- n:
		c.inflight++
	default:
		c.lastErr = ErrBacklog
		c.log.Warn("notification dropped", "title", n.Title, "err", ErrBacklog)
	}
}

func (c *Center) sendLoop() {
	defer close(c.senderDone)
	for n := range c.queue {
		err := c.sendOne(n)
		c.mu.Lock()
		changed := (c.lastErr == nil) != (err == nil)
		c.lastErr = err
		// Only a change of health is news: a machine without a
		// notification daemon (a headless `serve`) would otherwise log a
		// warning for every delivery. Logged before inflight drops, so
		// whoever waits for idle sees the line.
		switch {
		case err != nil && changed:
			c.log.Warn("desktop notification failed", "title", n.Title, "err", err,
				"note", "further failures are logged at debug level until one succeeds")
		case err != nil:
			c.log.Debug("desktop notification failed", "title", n.Title, "err", err)
		case changed:
			c.log.Info("desktop notifications work again")
		}
		c.inflight--
		if c.inflight == 0 {
			c.idle.Broadcast()
		}
		c.mu.Unlock()
		if changed && c.onHealth != nil {
			c.onHealth(err)
		}
	}
}

// sendOne calls the Sender, turning a panic into an error: a broken
// notification daemon binding must never take the listener down with it.
func (c *Center) sendOne(n Notification) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("notify: sender panicked: %v", r)
		}
	}()
	return c.sender.Send(n.Title, n.Body, n.Urgent)
}

// timerLoop wakes at the next deadline (window end, failure interval end,
// mute end) so summaries go out without waiting for the next Post.
func (c *Center) timerLoop() {
	defer close(c.timerDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		next, ok := c.nextDeadlineLocked()
		wait := next.Sub(c.now())
		c.mu.Unlock()
		timer.Stop()
		var fire <-chan time.Time
		if ok {
			timer.Reset(max(wait, 0))
			fire = timer.C
		}
		select {
		case <-c.stop:
			return
		case <-c.wake:
		case <-fire:
			c.mu.Lock()
			c.advanceLocked(c.now())
			c.mu.Unlock()
		}
	}
}

func (c *Center) nextDeadlineLocked() (time.Time, bool) {
	var next time.Time
	for _, t := range []time.Time{c.muteUntil, c.windowEnd, c.failureEnd} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, !next.IsZero()
}

func (c *Center) nudge() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// tick does what is due by the clock now; tests call it after moving a
// fake clock instead of waiting for the timer goroutine.
func (c *Center) tick() {
	c.mu.Lock()
	c.advanceLocked(c.now())
	c.mu.Unlock()
}

// waitIdle blocks until everything queued has been through the Sender.
func (c *Center) waitIdle() {
	c.mu.Lock()
	for c.inflight > 0 {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

// summaryKind marks summaries of several notifications of mixed kinds.
const summaryKind Kind = "summary"

// tally counts notifications that were not shown one by one.
type tally struct {
	n      int
	byKind map[Kind]int
	urgent bool
	only   Notification // the notification, while n == 1
}

func (t *tally) add(n Notification, count int) {
	if t.byKind == nil {
		t.byKind = map[Kind]int{}
	}
	t.n += count
	t.byKind[n.Kind] += count
	t.urgent = t.urgent || n.Urgent
	t.only = n
}

func (t *tally) merge(o tally) {
	if o.n == 0 {
		return
	}
	if t.n == 0 {
		*t = o
		return
	}
	for k, v := range o.byKind {
		t.add(Notification{Kind: k}, v)
	}
	t.urgent = t.urgent || o.urgent
}

// summary is what a coalesced burst shows: the notification itself when it
// was alone, otherwise "ipfwatch: 5 events" / "3 completed, 2 failed".
func (t tally) summary() Notification {
	if t.n == 1 && t.byKind[t.only.Kind] == 1 {
		return t.only
	}
	return Notification{
		Kind:   summaryKind,
		Title:  "ipfwatch: " + plural(t.n, "event", "events"),
		Body:   t.describe(),
		Urgent: t.urgent,
	}
}

// kindWords names counts of each kind in summaries, in the order they are
// listed. Snapshot kinds are the bare verbs because they are what a burst
// mostly holds: "3 completed, 2 failed".
var kindWords = []struct {
	kind      Kind
	one, many string
}{
	{SnapshotFailed, "failed", "failed"},
	{SnapshotCompleted, "completed", "completed"},
	{IntentCompleted, "intent verification", "intent verifications"},
	{SignatureFailure, "signature failure", "signature failures"},
	{TestWebhook, "test webhook", "test webhooks"},
	{ApprovalPending, "awaiting approval", "awaiting approval"},
	{RunEnded, "run ended", "runs ended"},
}

// describe lists the counts by kind, e.g. "3 completed, 2 failed".
func (t tally) describe() string {
	var parts []string
	known := 0
	for _, w := range kindWords {
		if n := t.byKind[w.kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, pick(n, w.one, w.many)))
			known += n
		}
	}
	if other := t.n - known; other > 0 {
		parts = append(parts, fmt.Sprintf("%d other", other))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, pick(n, one, many))
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// spell writes an interval the way a person says it: "5 minutes",
// "minute", "90 seconds".
func spell(d time.Duration) string {
	for _, u := range []struct {
		unit      time.Duration
		one, many string
	}{
		{time.Hour, "hour", "hours"},
		{time.Minute, "minute", "minutes"},
		{time.Second, "second", "seconds"},
	} {
		if d >= u.unit && d%u.unit == 0 {
			n := int(d / u.unit)
			if n == 1 {
				return u.one
			}
			return fmt.Sprintf("%d %s", n, u.many)
		}
	}
	return d.String()
}
