// Package sample fills a fresh ipfwatch with the kind of day an engineer
// running IP Fabric has: nightly and ad-hoc discoveries, an intent
// verification that proposes a fix, a failed snapshot, a test webhook, a
// redelivery, and deliveries refused because IP Fabric still signs with the
// rotated-out secret. The screenshots (make screenshots) and their test show
// the real views over this data.
//
// Everything goes through the real paths: deliveries are signed HTTP
// requests to the App's listener on loopback, rules are saved through
// remediation, proposals come from matching events.
package sample

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener"
)

// The secrets of the sample setup. They are made up and only ever live in
// a temporary data directory.
const (
	Secret         = "demo-6f1c2b9e4a7d4c0e8b3a5f9d2e1c7a60"
	PreviousSecret = "demo-old-secret-rotated-yesterday"
)

// Snapshot ids, shaped like IP Fabric's.
const (
	snapDC1    = "4a1f3c2e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
	snapBranch = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	snapDC2    = "b2d6e3a1-5f4c-4b8e-a9d7-0e1f2a3b4c5d"
)

// Clock is the App's clock while Fill runs: the real time, set back by a
// chosen amount so each delivery is received when its story says (hours
// ago, minutes ago) instead of all within the same second. Give Now to
// app.Options.Now; Fill leaves it on the real time.
type Clock struct{ back atomic.Int64 }

// Now is the real time minus the current offset.
func (c *Clock) Now() time.Time { return time.Now().Add(-time.Duration(c.back.Load())) }

func (c *Clock) setAgo(d time.Duration) { c.back.Store(int64(d)) }

// Open makes a sample App on dataDir (which should be empty): settings
// with a free loopback port, the secrets, and the clock. Call Start, then
// Fill. The secrets must not come from the environment, or the signed
// deliveries would not match: Open refuses then.
func Open(dataDir string, log *slog.Logger) (*app.App, *Clock, error) {
	s := config.DefaultSettings()
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	s.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// The rotation window ended an hour ago: IP Fabric should have the
	// new secret by now.
	s.PreviousSecretUntil = time.Now().Add(-time.Hour).Truncate(time.Minute)
	if err := config.SaveSettings(config.SettingsFile(dataDir), s); err != nil {
		return nil, nil, err
	}
	clock := &Clock{}
	a, err := app.Open(app.Options{
		DataDir: dataDir,
		Sender:  discard{},
		Now:     clock.Now,
		Logger:  log,
		// Nothing is approved here, so nothing needs to run.
		NoRunner: true,
	})
	if err != nil {
		return nil, nil, err
	}
	for _, x := range []struct {
		which config.Which
		v     string
	}{{config.Current, Secret}, {config.Previous, PreviousSecret}} {
		src, err := a.SetSecret(x.which, x.v)
		if err == nil && src == config.FromEnv {
			err = fmt.Errorf("the %s secret comes from the environment (%s): unset it", x.which, config.EnvSecret)
		}
		if err != nil {
			return nil, nil, errors.Join(err, a.Shutdown(context.Background()))
		}
	}
	return a, clock, nil
}

// freePort prefers IP Fabric's usual 8000 so the pictures show a familiar
// address, and takes any free port when 8000 is in use (an ipfwatch of the
// engineer's own, say).
func freePort() (int, error) {
	for _, addr := range []string{"127.0.0.1:8000", "127.0.0.1:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		port := l.Addr().(*net.TCPAddr).Port
		if err := l.Close(); err != nil {
			return 0, err
		}
		return port, nil
	}
	return 0, errors.New("no free loopback port")
}

// discard is a notification sender that shows nothing: the sample data
// must not pop up on the engineer's desktop.
type discard struct{}

func (discard) Send(string, string, bool) error { return nil }

// Rules are the sample remediation rules: one proposes an NTP fix after
// intent verification, one a rediscovery after a failed snapshot, and one
// is switched off.
func Rules() []remediation.Rule {
	return []remediation.Rule{
		{
			Name: "fix-ntp", Enabled: true,
			Match:   remediation.Match{Type: "intent-verification", Action: "calculate", Status: "completed"},
			Command: []string{"/usr/local/bin/fix-ntp.sh", "--snapshot", "{{snapshotId}}"},
			Workdir: "/srv/netops",
			Env:     map[string]string{"NTP_SERVERS": "10.0.0.1,10.0.0.2"},
			Timeout: 10 * time.Minute, Expires: 24 * time.Hour,
		},
		{
			Name: "rediscover-unreachable", Enabled: true,
			Match:   remediation.Match{Type: "snapshot", Action: "discover", Status: "failed"},
			Command: []string{"/usr/local/bin/ipf-rediscover.sh", "--snapshot", "{{snapshot.id}}", "--only-unreachable"},
			Workdir: "/srv/netops",
			Timeout: 30 * time.Minute, Expires: 8 * time.Hour,
		},
		{
			Name: "archive-weekly", Enabled: false,
			Match:   remediation.Match{Type: "snapshot", Action: "discover", Status: "completed", Requester: "cron"},
			Command: []string{"/usr/local/bin/ipf-archive.sh", "{{snapshot.id}}"},
			Timeout: time.Hour, Expires: 24 * time.Hour,
		},
	}
}

// delivery is one request of the sample day.
type delivery struct {
	at   float64 // how far back in the day, as a fraction of its span
	p    send.Payload
	sign func(body []byte) string
	// age makes the payload's own timestamp older than its delivery (a
	// delayed, stale one).
	age time.Duration
	// proposals is how many proposals exist once it is handled: the
	// proposer runs after the answer, and the next delivery's clock must
	// not be the one it records.
	proposals int
	// resendAt delivers the same bytes again later (IP Fabric retrying),
	// when not zero.
	resendAt float64
	// reject declines the newest proposal with this comment, shortly after.
	reject string
}

func signWith(secret string) func([]byte) string {
	return func(b []byte) string { return listener.Sign(b, secret) }
}

// day is the sample day, oldest first. The refused deliveries come last, so
// the failures are recent and the tray asks for attention.
func day() []delivery {
	current := signWith(Secret)
	return []delivery{
		{at: 1.00, sign: current, p: send.Payload{Status: "started", Requester: "cron", SnapshotID: snapDC1, SnapshotName: "DC1 nightly"}},
		{at: 0.93, sign: current, p: send.Payload{Status: "completed", Requester: "cron", SnapshotID: snapDC1, SnapshotName: "DC1 nightly"}},
		{at: 0.92, sign: current, proposals: 1, reject: "NTP on the DC1 core was fixed by hand during the change window.", p: send.Payload{Type: "intent-verification", SnapshotID: snapDC1}},
		{at: 0.62, sign: current, proposals: 1, p: send.Payload{Status: "started", Requester: "user:7", SnapshotID: snapBranch, SnapshotName: "Branch offices"}},
		{at: 0.55, sign: current, proposals: 2, resendAt: 0.54, p: send.Payload{Status: "failed", Requester: "user:7", SnapshotID: snapBranch, SnapshotName: "Branch offices",
			Reason: "Discovery aborted: 14 of 212 devices unreachable (SSH timeout)"}},
		{at: 0.40, sign: current, proposals: 2, p: send.Payload{Test: true, Requester: "user:1", SnapshotName: "Webhook test"}},
		{at: 0.20, sign: current, proposals: 2, p: send.Payload{Status: "started", Requester: "user:1", SnapshotID: snapDC2, SnapshotName: "DC2 weekly"}},
		{at: 0.08, sign: current, proposals: 2, p: send.Payload{Status: "completed", Requester: "user:1", SnapshotID: snapDC2, SnapshotName: "DC2 weekly"}},
		{at: 0.07, sign: current, proposals: 3, p: send.Payload{Type: "intent-verification", SnapshotID: snapDC2}},
		// Refused: a wrong secret, no signature at all, a stale timestamp,
		// then IP Fabric still signing with the rotated-out secret.
		{at: 0.06, sign: signWith("not-the-shared-secret"), proposals: 3, p: send.Payload{Status: "started", Requester: "user:3", SnapshotName: "Lab"}},
		{at: 0.05, sign: func([]byte) string { return "" }, proposals: 3, p: send.Payload{Status: "started", Requester: "user:3", SnapshotName: "Lab"}},
		{at: 0.04, sign: current, age: 3 * time.Hour, proposals: 3, p: send.Payload{Status: "completed", Requester: "cron", SnapshotName: "Campus"}},
		{at: 0.03, sign: signWith(PreviousSecret), proposals: 3, p: send.Payload{Status: "started", Requester: "cron", SnapshotName: "DC1 hourly"}},
		{at: 0.02, sign: signWith(PreviousSecret), proposals: 3, p: send.Payload{Status: "completed", Requester: "cron", SnapshotName: "DC1 hourly"}},
		{at: 0.01, sign: signWith(PreviousSecret), proposals: 3, p: send.Payload{Type: "intent-verification", Requester: "snapshot:discover"}},
	}
}

// span is how far back the sample day reaches: three hours, or less just
// after midnight so that every event still counts as today.
func span(now time.Time) time.Duration {
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	return max(min(3*time.Hour, now.Sub(midnight)-time.Minute), time.Minute)
}

// Fill saves the sample rules and sends the sample day to a, which must be
// started and listening, opened by Open with c as its clock. It checks
// every answer, so a setup that refuses the good deliveries fails here
// rather than in a picture.
func Fill(ctx context.Context, a *app.App, c *Clock) error {
	defer c.setAgo(0)
	m := a.Remediation()
	if err := m.SetRules(Rules()); err != nil {
		return fmt.Errorf("save the sample rules: %w", err)
	}
	url := a.URL()
	if a.Addr() == "" {
		return errors.New("the sample app is not listening")
	}
	s := span(time.Now())
	ago := func(f float64) time.Duration { return time.Duration(f * float64(s)) }
	for i, d := range day() {
		c.setAgo(ago(d.at))
		p := d.p
		p.Time = c.Now().Add(-d.age)
		body := send.Body(p)
		post := func() (send.Answer, error) {
			return send.Do(ctx, nil, url, body, d.sign(body))
		}
		ans, err := post()
		if err != nil {
			return fmt.Errorf("sample delivery %d: %w", i+1, err)
		}
		refused := d.age > 0 || !isSignedWith(body, d.sign, Secret)
		if ok := ans.Status/100 == 2; ok == refused {
			return fmt.Errorf("sample delivery %d: HTTP %d %s, want it %s", i+1, ans.Status, ans.Body,
				map[bool]string{true: "refused", false: "accepted"}[refused])
		}
		if d.resendAt != 0 {
			c.setAgo(ago(d.resendAt))
			ans, err := post()
			if err != nil || ans.Status != 200 || !strings.Contains(ans.Body, "duplicate") {
				return fmt.Errorf("sample redelivery %d: HTTP %d %s, %v; want a duplicate", i+1, ans.Status, ans.Body, err)
			}
		}
		if err := waitProposals(ctx, m, d.proposals); err != nil {
			return fmt.Errorf("sample delivery %d: %w", i+1, err)
		}
		if d.reject != "" {
			c.setAgo(ago(d.at - 0.04))
			ps, err := m.Proposals(ctx, store.StatePending, 1)
			if err != nil {
				return err
			}
			if len(ps) == 0 {
				return fmt.Errorf("sample delivery %d: no proposal to reject", i+1)
			}
			if err := m.Reject(ctx, ps[0].ID, d.reject); err != nil {
				return fmt.Errorf("reject sample proposal: %w", err)
			}
		}
	}
	return nil
}

func isSignedWith(body []byte, sign func([]byte) string, secret string) bool {
	return sign(body) == listener.Sign(body, secret)
}

// waitProposals waits until n proposals exist.
func waitProposals(ctx context.Context, m *remediation.Manager, n int) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		ps, err := m.Proposals(ctx, "", 0)
		if err != nil {
			return err
		}
		if len(ps) == n {
			return nil
		}
		if len(ps) > n || time.Now().After(deadline) {
			return fmt.Errorf("%d proposals, want %d", len(ps), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
