package events

import (
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
)

func TestEnrichmentState(t *testing.T) {
	retry := time.Date(2025, 3, 4, 9, 0, 30, 0, time.UTC)
	tests := []struct {
		name string
		r    enrich.Result
		want string
	}{
		{"done", enrich.Result{State: "done", Attempts: 1}, "Looked up in IP Fabric's API."},
		{"done after retries", enrich.Result{State: "done", Attempts: 3}, "Looked up in IP Fabric's API on attempt 3."},
		{"pending", enrich.Result{State: "pending"}, "Being looked up in IP Fabric's API…"},
		{"pending again", enrich.Result{State: "pending", Attempts: 2}, "Being looked up in IP Fabric's API again (2 attempts so far)…"},
		{"failed with a retry", enrich.Result{State: "failed", Reason: "IP Fabric at 10.0.0.1:443 is unreachable.", Attempts: 1, NextAttempt: retry},
			"The lookup in IP Fabric's API failed (1 attempt): IP Fabric at 10.0.0.1:443 is unreachable. It is tried again at 2025-03-04 10:00:30."},
		{"failed for good", enrich.Result{State: "failed", Reason: "HTTP 500", Attempts: 4},
			"The lookup in IP Fabric's API failed (4 attempts): HTTP 500. It is not tried again by itself: use Look up again."},
		{"skipped", enrich.Result{State: "skipped", Reason: "a test webhook"}, "Not looked up in IP Fabric's API: a test webhook."},
		{"reason folded to one line", enrich.Result{State: "skipped", Reason: "a\nb\u202e"}, "Not looked up in IP Fabric's API: a\uFFFDb\uFFFD."},
		{"unknown state", enrich.Result{State: "odd"}, "IP Fabric's API: odd."},
	}
	cet := time.FixedZone("CET", 3600)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EnrichmentState(tt.r, cet); got != tt.want {
				t.Errorf("EnrichmentState =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSnapshotFacts(t *testing.T) {
	start := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC).UnixMilli()
	tests := []struct {
		name string
		s    ipf.Snapshot
		want string
	}{
		{"complete", ipf.Snapshot{ID: "s1", Name: "nightly", Devices: 42, Sites: []string{"HQ", "BRANCH"},
			StartMS: start, EndMS: start + 90_500, Errors: []ipf.SnapshotError{{Type: "B", Count: 1}, {Type: "A", Count: 1}, {Type: "C", Count: 7}}},
			"Name: nightly\nDevices: 42\nSites (2): HQ, BRANCH\nStarted: 2025-03-04 08:00:00\nEnded: 2025-03-04 08:01:30 (took 1m31s)\nDiscovery errors: C 7, A 1, B 1"},
		{"bare", ipf.Snapshot{ID: "s2"}, "Name: (none)\nDevices: 0\nSites: none\nDiscovery errors: none"},
		{"still running", ipf.Snapshot{ID: "s3", Name: "x\ny", StartMS: start, Sites: []string{"a\tb"}},
			"Name: x\uFFFDy\nDevices: 0\nSites (1): a\uFFFDb\nStarted: 2025-03-04 08:00:00\nDiscovery errors: none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SnapshotFacts(tt.s, time.UTC); got != tt.want {
				t.Errorf("SnapshotFacts =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestCheckLineAndGreenSummary(t *testing.T) {
	lines := []struct {
		k    ipf.Check
		want string
	}{
		{ipf.Check{Name: "NTP sources", Red: 12, Amber: 3, Green: 40}, "NTP sources: 12 red, 3 amber"},
		{ipf.Check{Name: "BGP", Amber: 2, Blue: 1}, "BGP: 2 amber, 1 blue"},
		{ipf.Check{ID: "77", Green: 5}, "check 77: all green"},
	}
	for _, tt := range lines {
		if got := CheckLine(tt.k); got != tt.want {
			t.Errorf("CheckLine(%+v) = %q, want %q", tt.k, got, tt.want)
		}
	}
	green, blue, red := ipf.Check{Green: 1}, ipf.Check{Blue: 2}, ipf.Check{Red: 1}
	sums := []struct {
		checks []ipf.Check
		more   bool
		want   string
	}{
		{[]ipf.Check{red, green, green}, true, "and 2 checks green"},
		{[]ipf.Check{red, green, blue}, true, "and 2 checks green or blue (for information)"},
		{[]ipf.Check{green}, false, "No check has red or amber rows (1 check green)."},
		{[]ipf.Check{red}, true, ""},
	}
	for _, tt := range sums {
		if got := greenSummary(tt.checks, tt.more); got != tt.want {
			t.Errorf("greenSummary(%+v, %t) = %q, want %q", tt.checks, tt.more, got, tt.want)
		}
	}
}

func TestCaughtUpNote(t *testing.T) {
	at := time.Date(2025, 3, 4, 9, 5, 0, 0, time.UTC)
	tests := []struct {
		st   app.Status
		want string
	}{
		{app.Status{}, ""},
		{app.Status{CaughtUp: 1, CaughtUpAt: at}, "1 event caught up from IP Fabric at 10:05"},
		{app.Status{CaughtUp: 3, CaughtUpAt: at}, "3 events caught up from IP Fabric at 10:05"},
		{app.Status{CaughtUp: 3}, "3 events caught up from IP Fabric"},
	}
	for _, tt := range tests {
		if got := CaughtUpNote(tt.st, time.FixedZone("CET", 3600)); got != tt.want {
			t.Errorf("CaughtUpNote(%d) = %q, want %q", tt.st.CaughtUp, got, tt.want)
		}
	}
}
