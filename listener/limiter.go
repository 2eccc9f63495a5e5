package listener

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// defaultMaxLimiters bounds how many remote addresses the failure limiter
// remembers, so a sender cycling through addresses cannot grow it forever.
const defaultMaxLimiters = 10000

// failureLimiter is a token bucket per remote address, drawn from by every
// failed delivery. It exists so that one misconfigured or hostile sender
// cannot flood the rejection log; a correctly signed delivery never draws
// from it and is never throttled.
type failureLimiter struct {
	limit rate.Limit
	burst int
	max   int
	// idle is how long an address must go without a failure for its
	// bucket to be full again; such an entry equals a fresh one and can be
	// dropped without changing any decision.
	idle time.Duration

	mu      sync.Mutex
	entries map[string]*limiterEntry
}

type limiterEntry struct {
	lim  *rate.Limiter
	last time.Time
}

func newFailureLimiter(limit rate.Limit, burst, max int) *failureLimiter {
	idle := time.Duration(math.MaxInt64)
	if limit > 0 && limit != rate.Inf {
		if secs := float64(burst) / float64(limit); secs < float64(math.MaxInt64/int64(time.Second)) {
			idle = time.Duration(secs * float64(time.Second))
		}
	} else if limit == rate.Inf {
		idle = 0
	}
	return &failureLimiter{limit: limit, burst: burst, max: max, idle: idle, entries: make(map[string]*limiterEntry)}
}

// allow takes one token for a failure from addr at now and reports whether
// there was one.
func (l *failureLimiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[addr]
	if e == nil {
		if len(l.entries) >= l.max {
			l.evict(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.entries[addr] = e
	}
	e.last = now
	return e.lim.AllowN(now, 1)
}

// evict drops every entry whose bucket has refilled. If that is not enough
// (many addresses failing at once), it drops arbitrary entries down to 90%
// of the cap, so the sweep runs rarely rather than on every new address;
// those addresses merely get a fresh burst.
func (l *failureLimiter) evict(now time.Time) {
	for addr, e := range l.entries {
		if now.Sub(e.last) >= l.idle {
			delete(l.entries, addr)
		}
	}
	target := l.max * 9 / 10
	for addr := range l.entries {
		if len(l.entries) <= target {
			break
		}
		delete(l.entries, addr)
	}
}

// size returns how many addresses are remembered.
func (l *failureLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
