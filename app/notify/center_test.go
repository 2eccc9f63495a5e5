package notify

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// sent is one call the recorder saw.
type sent struct {
	Title, Body string
	Urgent      bool
}

// recorder is a Sender that remembers what it was asked to show, and fails,
// panics or blocks on demand.
type recorder struct {
	mu    sync.Mutex
	sent  []sent
	err   error         // returned by Send
	panic bool          // Send panics
	block chan struct{} // Send waits for it to close, if set
	calls chan sent     // every call is also sent here, if set
}

func (r *recorder) Send(title, body string, urgent bool) error {
	s := sent{title, body, urgent}
	r.mu.Lock()
	block, err, p, calls := r.block, r.err, r.panic, r.calls
	r.sent = append(r.sent, s)
	r.mu.Unlock()
	if calls != nil {
		calls <- s
	}
	if block != nil {
		<-block
	}
	if p {
		panic("daemon binding exploded")
	}
	return err
}

// take returns what was sent since the last take.
func (r *recorder) take() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sent
	r.sent = nil
	return s
}

func (r *recorder) set(f func(r *recorder)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// clock is a fake clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestCenter(t *testing.T) (*Center, *recorder, *clock) {
	t.Helper()
	rec, clk := &recorder{}, newClock()
	c := NewCenter(rec, Options{Now: clk.Now, Window: 3 * time.Second, FailureInterval: 5 * time.Minute,
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
	t.Cleanup(c.Close)
	return c, rec, clk
}

// step moves the clock, lets the Center act on it and returns what reached
// the Sender.
func step(c *Center, rec *recorder, clk *clock, d time.Duration) []sent {
	clk.Advance(d)
	c.tick()
	c.waitIdle()
	return rec.take()
}

var (
	completed = Notification{Kind: SnapshotCompleted, Title: "Snapshot discover completed", Body: "Snapshot: lab"}
	failed    = Notification{Kind: SnapshotFailed, Title: "Snapshot discover failed", Body: "Reason: timeout", Urgent: true}
	intent    = Notification{Kind: IntentCompleted, Title: "Intent verification completed"}
	sigFail   = Notification{Kind: SignatureFailure, Title: "Signature failure", Body: "from 10.0.0.1: signature mismatch"}
)

func asSent(n Notification) sent { return sent{n.Title, n.Body, n.Urgent} }

func wantSent(t *testing.T, when string, got []sent, want ...sent) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: sent %+v\nwant %+v", when, got, want)
	}
}

func TestCoalescing(t *testing.T) {
	c, rec, clk := newTestCenter(t)

	c.Post(completed)
	wantSent(t, "first after quiet", step(c, rec, clk, 0), asSent(completed))

	c.Post(completed)
	c.Post(failed)
	clk.Advance(time.Second)
	c.Post(completed)
	c.Post(failed)
	c.Post(completed)
	wantSent(t, "inside the window", step(c, rec, clk, time.Second))
	wantSent(t, "end of the window", step(c, rec, clk, time.Second),
		sent{"ipfwatch: 5 events", "2 failed, 3 completed", true})

	// The summary opened a new window: a lone event in it comes out as
	// itself at its end, not as "1 events".
	c.Post(intent)
	wantSent(t, "inside the second window", step(c, rec, clk, time.Second))
	wantSent(t, "end of the second window", step(c, rec, clk, 2*time.Second), asSent(intent))

	// Quiet again after an empty window: the next one goes out at once.
	wantSent(t, "empty window", step(c, rec, clk, 3*time.Second))
	c.Post(completed)
	wantSent(t, "after quiet", step(c, rec, clk, 0), asSent(completed))
}

func TestCoalescingSummaryWithoutUrgent(t *testing.T) {
	c, rec, clk := newTestCenter(t)
	c.Post(completed)
	c.Post(completed)
	c.Post(intent)
	wantSent(t, "burst", step(c, rec, clk, 3*time.Second),
		asSent(completed), sent{"ipfwatch: 2 events", "1 completed, 1 intent verification", false})
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		kinds []Kind
		want  string
	}{
		{[]Kind{SnapshotCompleted, SnapshotCompleted, SnapshotCompleted, SnapshotFailed, SnapshotFailed}, "2 failed, 3 completed"},
		{[]Kind{IntentCompleted, IntentCompleted}, "2 intent verifications"},
		{[]Kind{TestWebhook, SignatureFailure}, "1 signature failure, 1 test webhook"},
		{[]Kind{ApprovalPending, RunEnded, RunEnded}, "1 awaiting approval, 2 runs ended"},
		{[]Kind{"something-new", SnapshotFailed}, "1 failed, 1 other"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			var tl tally
			for _, k := range tc.kinds {
				tl.add(Notification{Kind: k}, 1)
			}
			if got := tl.describe(); got != tc.want {
				t.Errorf("describe = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMuteAndUnmute(t *testing.T) {
	c, rec, clk := newTestCenter(t)
	until := clk.Now().Add(time.Hour)
	c.Mute(until)
	if m, u := c.Muted(); !m || !u.Equal(until) {
		t.Fatalf("Muted() = %v, %v; want true, %v", m, u, until)
	}
	c.Post(completed)
	c.Post(failed)
	clk.Advance(10 * time.Second)
	c.Post(completed)
	c.Post(sigFail)
	wantSent(t, "while muted", step(c, rec, clk, time.Minute))

	c.Unmute()
	c.waitIdle()
	wantSent(t, "unmute", rec.take(),
		sent{"ipfwatch: 4 notifications while muted", "1 failed, 2 completed, 1 signature failure", true})
	if m, _ := c.Muted(); m {
		t.Error("still muted after Unmute")
	}

	c.Unmute()
	wantSent(t, "second unmute", step(c, rec, clk, 0))

	// A mute with nothing posted ends silently.
	c.Mute(clk.Now().Add(time.Hour))
	c.Unmute()
	wantSent(t, "empty mute", step(c, rec, clk, 0))

	// Just after the unmute summary, the coalescing window is open.
	c.Mute(clk.Now().Add(time.Hour))
	c.Post(intent)
	c.Unmute()
	c.Post(completed)
	wantSent(t, "unmute then event", step(c, rec, clk, 0),
		sent{"ipfwatch: 1 notification while muted", "1 intent verification", false})
	wantSent(t, "window after unmute", step(c, rec, clk, 3*time.Second), asSent(completed))
}

func TestMuteExpiresByItself(t *testing.T) {
	c, rec, clk := newTestCenter(t)
	c.Mute(clk.Now().Add(10 * time.Minute))
	c.Post(failed)
	c.Post(completed)
	wantSent(t, "before expiry", step(c, rec, clk, 10*time.Minute-time.Second))
	wantSent(t, "at expiry", step(c, rec, clk, time.Second),
		sent{"ipfwatch: 2 notifications while muted", "1 failed, 1 completed", true})
	if m, u := c.Muted(); m || !u.IsZero() {
		t.Errorf("Muted() after expiry = %v, %v; want false, zero", m, u)
	}

	// Muted() notices the expiry itself, without the timer.
	c.Mute(clk.Now().Add(time.Minute))
	c.Post(completed)
	clk.Advance(time.Minute)
	if m, _ := c.Muted(); m {
		t.Error("Muted() = true after the mute time")
	}
	c.waitIdle()
	wantSent(t, "expiry seen by Muted", rec.take(), sent{"ipfwatch: 1 notification while muted", "1 completed", false})

	// A mute time in the past is an unmute.
	c.Mute(clk.Now().Add(-time.Second))
	if m, _ := c.Muted(); m {
		t.Error("muted until a past time")
	}
}

// TestMuteCountsWhatWasPending checks nothing buffered surfaces during a
// mute: the coalescing buffer and the pending failure count join the mute
// count.
func TestMuteCountsWhatWasPending(t *testing.T) {
	c, rec, clk := newTestCenter(t)
	c.Post(completed)
	c.Post(failed)
	c.Post(sigFail)
	c.Post(sigFail)
	c.Post(sigFail)
	wantSent(t, "before mute", step(c, rec, clk, 0), asSent(completed), asSent(sigFail))
	c.Mute(clk.Now().Add(time.Hour))
	wantSent(t, "windows end while muted", step(c, rec, clk, 10*time.Minute))
	c.Unmute()
	c.waitIdle()
	wantSent(t, "unmute", rec.take(),
		sent{"ipfwatch: 3 notifications while muted", "1 failed, 2 signature failures", true})
}

// TestMuteExpiresWithRealTimer runs the Center on the real clock, so the
// timer goroutine, not a test call, must end the mute and the window.
func TestMuteExpiresWithRealTimer(t *testing.T) {
	rec := &recorder{calls: make(chan sent, 10)}
	c := NewCenter(rec, Options{Window: 50 * time.Millisecond})
	defer c.Close()
	c.Mute(time.Now().Add(100 * time.Millisecond))
	c.Post(failed)
	c.Post(completed)
	select {
	case got := <-rec.calls:
		if want := (sent{"ipfwatch: 2 notifications while muted", "1 failed, 1 completed", true}); got != want {
			t.Errorf("sent %+v, want %+v", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the mute never ended by itself")
	}

	c.Post(completed) // inside the window the summary opened
	select {
	case got := <-rec.calls:
		if got != asSent(completed) {
			t.Errorf("sent %+v, want %+v", got, asSent(completed))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the window never ended by itself")
	}
}

func TestSignatureFailureRateLimit(t *testing.T) {
	c, rec, clk := newTestCenter(t)

	c.Post(sigFail)
	c.Post(completed) // failures do not hold back other events
	wantSent(t, "first failure", step(c, rec, clk, 0), asSent(sigFail), asSent(completed))

	for range 3 {
		clk.Advance(time.Minute)
		c.Post(sigFail)
	}
	wantSent(t, "inside the interval", step(c, rec, clk, time.Minute))
	wantSent(t, "end of the interval", step(c, rec, clk, time.Minute), sent{
		"ipfwatch: 3 signature failures",
		"3 signature failures in the last 5 minutes; see Signature failures in ipfwatch", false})

	clk.Advance(time.Minute)
	c.Post(sigFail)
	wantSent(t, "in the next interval", step(c, rec, clk, 3*time.Minute))
	wantSent(t, "end of the next interval", step(c, rec, clk, time.Minute), sent{
		"ipfwatch: 1 signature failure",
		"1 signature failure in the last 5 minutes; see Signature failures in ipfwatch", false})

	wantSent(t, "quiet interval", step(c, rec, clk, 5*time.Minute))
	c.Post(sigFail)
	wantSent(t, "after a quiet interval", step(c, rec, clk, 0), asSent(sigFail))
}

func TestSpell(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "5 minutes"},
		{time.Minute, "minute"},
		{time.Hour, "hour"},
		{2 * time.Hour, "2 hours"},
		{90 * time.Second, "90 seconds"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tc := range tests {
		if got := spell(tc.d); got != tc.want {
			t.Errorf("spell(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestDisabledKinds(t *testing.T) {
	c, rec, clk := newTestCenter(t)
	for _, k := range []Kind{SnapshotCompleted, SnapshotFailed, IntentCompleted, TestWebhook, SignatureFailure, ApprovalPending, RunEnded} {
		if !c.Enabled(k) {
			t.Errorf("%s disabled by default", k)
		}
	}
	c.SetEnabled(SnapshotCompleted, false)
	c.SetEnabled(SignatureFailure, false)
	if c.Enabled(SnapshotCompleted) || !c.Enabled(SnapshotFailed) {
		t.Errorf("Enabled: completed %v, failed %v; want false, true", c.Enabled(SnapshotCompleted), c.Enabled(SnapshotFailed))
	}

	c.Post(completed)
	c.Post(sigFail)
	c.Post(failed)
	wantSent(t, "with completed disabled", step(c, rec, clk, 0), asSent(failed))

	// Disabled kinds are not counted as muted either.
	c.Mute(clk.Now().Add(time.Hour))
	c.Post(completed)
	c.Post(completed)
	c.Unmute()
	wantSent(t, "unmute with only disabled kinds", step(c, rec, clk, 10*time.Second))

	c.SetEnabled(SnapshotCompleted, true)
	c.Post(completed)
	wantSent(t, "re-enabled", step(c, rec, clk, 0), asSent(completed))
}

func TestSenderErrors(t *testing.T) {
	var logs bytes.Buffer
	rec, clk := &recorder{}, newClock()
	c := NewCenter(rec, Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer c.Close()

	daemonGone := errors.New("org.freedesktop.Notifications was not provided by any .service files")
	tests := []struct {
		name    string
		err     error
		panic   bool
		wantErr string // empty: LastError is nil
	}{
		{"failing sender", daemonGone, false, daemonGone.Error()},
		{"later success clears", nil, false, ""},
		{"panicking sender", nil, true, "sender panicked"},
		{"success after panic", nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec.set(func(r *recorder) { r.err, r.panic = tc.err, tc.panic })
			c.Post(completed)
			got := step(c, rec, clk, 3*time.Second)
			wantSent(t, tc.name, got, asSent(completed))
			err := c.LastError()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("LastError = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("LastError = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	if !strings.Contains(logs.String(), daemonGone.Error()) || !strings.Contains(logs.String(), "sender panicked") {
		t.Errorf("failures were not logged:\n%s", logs.String())
	}
}

// TestRepeatedFailuresLogOnce: a sender that keeps failing (no daemon) is
// reported once, not once per notification, and its recovery is reported.
func TestRepeatedFailuresLogOnce(t *testing.T) {
	var logs bytes.Buffer
	rec, clk := &recorder{}, newClock()
	c := NewCenter(rec, Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer c.Close()
	rec.set(func(r *recorder) { r.err = errors.New("no daemon") })
	for i := 0; i < 3; i++ {
		c.Post(completed)
		step(c, rec, clk, 3*time.Second)
	}
	rec.set(func(r *recorder) { r.err = nil })
	c.Post(completed)
	step(c, rec, clk, 3*time.Second)
	if n := strings.Count(logs.String(), "desktop notification failed"); n != 1 {
		t.Errorf("%d failure lines for 3 failures in a row, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "desktop notifications work again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

// TestStuckSenderNeverBlocksPost checks that a notification daemon that
// never answers costs notifications, not the caller: Post keeps returning,
// the overflow is dropped and reported through LastError.
func TestStuckSenderNeverBlocksPost(t *testing.T) {
	block := make(chan struct{})
	rec, clk := &recorder{block: block}, newClock()
	c := NewCenter(rec, Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})

	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 * queueSize {
			c.Post(completed)
			clk.Advance(3 * time.Second) // every Post is first after a quiet window
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Post blocked behind a stuck sender")
	}
	if err := c.LastError(); !errors.Is(err, ErrBacklog) {
		t.Errorf("LastError = %v, want ErrBacklog", err)
	}
	close(block)
	c.Close()
	if n := len(rec.take()); n < 2 || n > queueSize+1 {
		t.Errorf("sender got %d notifications, want between 2 and %d (the queue plus the one in flight)", n, queueSize+1)
	}
}

func TestCloseFlushesAndStops(t *testing.T) {
	rec, clk := &recorder{}, newClock()
	c := NewCenter(rec, Options{Now: clk.Now})
	c.Post(completed)
	c.Post(failed)
	c.Post(intent)
	c.Close()
	wantSent(t, "close", rec.take(), asSent(completed), sent{"ipfwatch: 2 events", "1 failed, 1 intent verification", true})

	c.Post(completed)
	c.Mute(clk.Now().Add(time.Hour))
	c.Unmute()
	c.Close()
	wantSent(t, "after close", rec.take())
}
