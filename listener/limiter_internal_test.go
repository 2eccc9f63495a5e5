package listener

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestFailureLimiterIsPerAddress(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	l := newFailureLimiter(rate.Limit(1), 2, 100)
	steps := []struct {
		addr string
		at   time.Duration
		want bool
	}{
		{"10.0.0.1", 0, true},
		{"10.0.0.1", 0, true},
		{"10.0.0.1", 0, false}, // burst of 2 spent
		{"10.0.0.2", 0, true},  // another address has its own bucket
		{"10.0.0.1", 500 * time.Millisecond, false},
		{"10.0.0.1", 1500 * time.Millisecond, true}, // one token back after a second
		{"10.0.0.1", 1500 * time.Millisecond, false},
	}
	for i, s := range steps {
		if got := l.allow(s.addr, now.Add(s.at)); got != s.want {
			t.Fatalf("step %d: allow(%s, +%s) = %v, want %v", i, s.addr, s.at, got, s.want)
		}
	}
}

func TestFailureLimiterIsBounded(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const max = 1000
	l := newFailureLimiter(rate.Limit(1), 5, max)

	// Many addresses failing at once: the map never exceeds its cap.
	for i := range 5 * max {
		l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
		if n := l.size(); n > max {
			t.Fatalf("after %d addresses the limiter holds %d, cap %d", i+1, n, max)
		}
	}

	// Ten seconds on, every bucket so far is full again, so dropping those
	// entries changes no decision. An address failing now must keep its
	// empty bucket while newcomers fill the map.
	later := now.Add(10 * time.Second)
	hot := "192.0.2.1"
	for range 5 {
		l.allow(hot, later)
	}
	for i := range max - 10 {
		l.allow(fmt.Sprintf("172.16.%d.%d", i>>8&255, i&255), later)
	}
	if n := l.size(); n > max {
		t.Fatalf("limiter holds %d, cap %d", n, max)
	}
	if l.allow(hot, later) {
		t.Fatal("an address that is failing right now lost its empty bucket")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: never split it
		{"éé", 3, "é"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
