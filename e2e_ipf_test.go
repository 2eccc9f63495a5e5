package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
	"github.com/ipfwatch/ipfwatch/app/store"
)

const (
	e2eSnap  = "5a1b2c3d-0000-4000-8000-0000000000e2"
	e2eToken = "e2e-ipf-token-3f9d1c77b2a64e0f9c1d"
)

// fakeIPF starts a fake IP Fabric over TLS with a snapshot and its intent
// checks, and points IPF_URL, IPF_TOKEN and IPF_VERIFY (its certificate)
// at it for the binaries this test starts.
func fakeIPF(t *testing.T) *ipffake.Server {
	t.Helper()
	f := ipffake.Start(t, ipffake.Options{Token: e2eToken})
	f.SetKnobs(func(k *ipffake.Knobs) { k.StringCounts = true }) // counts as strings, as some versions send them
	now := time.Now()
	f.SetSnapshots(ipffake.Snapshot{ID: e2eSnap, Name: "nightly", TotalDevCount: 42, Sites: []string{"HQ", "BRANCH"},
		TsStart: now.Add(-time.Hour).UnixMilli(), TsEnd: now.Add(-10 * time.Minute).UnixMilli(),
		Errors: []ipffake.SnapshotError{{Type: "ABMapResultError", Count: 2}}})
	f.SetReports(e2eSnap,
		ipffake.Report{ID: "320633253", Name: "NTP sources", Groups: []ipffake.Group{{ID: "g1", Name: "Management"}},
			APIEndpoint: "/tables/management/ntp/sources", WebEndpoint: "/technology/management/ntp/sources",
			Column: "reachable", Counts: map[int]int{0: 30, 30: 2}},
		ipffake.Report{ID: "320633254", Name: "BGP neighbours", APIEndpoint: "/tables/routing/protocols/bgp/neighbors",
			WebEndpoint: "/technology/routing/bgp/neighbors", Column: "state", Counts: map[int]int{0: 12}})
	f.SetTable("/tables/management/ntp/sources", ipffake.Table{
		Columns: []string{"id", "hostname", "siteName", "reachable"},
		Rows: []map[string]any{
			{"id": "1", "hostname": "r1", "siteName": "HQ", "reachable": ipffake.Cell("no", 30)},
			{"id": "2", "hostname": "r2", "siteName": "BRANCH", "reachable": ipffake.Cell("no", 30)},
			{"id": "3", "hostname": "r3", "siteName": "HQ", "reachable": ipffake.Cell("yes", 0)},
		}})
	pem, err := f.WriteCertPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("IPF_URL", f.URL)
	t.Setenv("IPF_TOKEN", e2eToken)
	t.Setenv("IPF_VERIFY", pem)
	return f
}

// eventIPF waits until the event with id has an enrichment in state want
// and returns the event as log --json prints it.
func eventIPF(t *testing.T, dir string, id float64, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		out, _, _ := runCLI(t, dir, "log", "--json")
		for _, e := range jsonLines(t, out) {
			if e["id"] == id {
				last = e
				if m, ok := e["ipf"].(map[string]any); ok && m["state"] == want {
					return e
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("event %v never reached %s: %v", id, want, last)
	return nil
}

func intentBody(snap string, ts time.Time) []byte {
	return []byte(fmt.Sprintf(`{"type":"intent-verification","action":"calculate","status":"completed","requester":"snapshot:discover","snapshotId":%q,"timestamp":%d}`,
		snap, ts.UnixMilli()))
}

// TestE2EIntentEnrichmentAndCheckRule: a signed intent-verification
// webhook is answered at once, even while IP Fabric's /reports is slow;
// then its intent checks appear in log --json; a rule on the red check
// proposes with its failing rows and approve runs it with
// IPF_CHECK_ROWS_FILE; a rule on a check without red proposes nothing; the
// token is in no file of the data directory and not in the log.
func TestE2EIntentEnrichmentAndCheckRule(t *testing.T) {
	f := fakeIPF(t)
	dir := t.TempDir()
	work := t.TempDir()
	script := filepath.Join(work, "fix-ntp.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s %s %s\\n' \"$1\" \"$IPF_CHECK_NAME\" \"$IPF_CHECK_COUNT\"\ncat \"$IPF_CHECK_ROWS_FILE\" > rows.json\nenv > env.txt\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rules := fmt.Sprintf(`rules:
  - name: fix-ntp
    enabled: true
    match: {type: intent-verification, status: completed, intent: {check: "NTP*", color: red}}
    command: [%q, "{{check.id}}"]
    workdir: %q
  - name: fix-bgp
    enabled: true
    match: {type: intent-verification, intent: {check: "BGP*", color: red}}
    command: [/bin/true]
`, script, work)
	if err := os.WriteFile(filepath.Join(dir, "remediations.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, dir)

	// The answer does not wait for IP Fabric: /reports is held until the
	// webhook has been answered.
	hold := make(chan struct{})
	f.SetFault(ipffake.RouteReports, ipffake.Fault{Hold: hold, Times: 1})
	body := intentBody(e2eSnap, time.Now())
	code, ans := post(t, s.url, body, sign(body, e2eSecret))
	if code != 200 || ans["result"] != "ok" {
		t.Fatalf("intent webhook answered %d %v", code, ans)
	}
	// The lookup is stuck in /reports now, after the answer.
	for deadline := time.Now().Add(20 * time.Second); f.InFlight() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the lookup never reached IP Fabric's /reports")
		}
	}
	close(hold)

	ev := eventIPF(t, dir, ans["id"].(float64), "done")
	if ev["source"] != "webhook" {
		t.Errorf("source %v", ev["source"])
	}
	ipfj := ev["ipf"].(map[string]any)
	snap := ipfj["snapshot"].(map[string]any)
	if snap["name"] != "nightly" || snap["devices"] != float64(42) || !strings.HasPrefix(fmt.Sprint(snap["url"]), f.URL+"/snapshot-management/") {
		t.Errorf("snapshot %v", snap)
	}
	checks := ipfj["checks"].([]any)
	if len(checks) != 2 {
		t.Fatalf("checks %v", checks)
	}
	ntp := checks[0].(map[string]any)
	if ntp["name"] != "NTP sources" || ntp["red"] != float64(2) || ntp["green"] != float64(30) || ntp["amber"] != float64(0) ||
		!strings.HasPrefix(fmt.Sprint(ntp["url"]), f.URL+"/") {
		t.Errorf("NTP check %v (counts arrive as strings and print as numbers)", ntp)
	}

	// One proposal, for the NTP check with its red rows; none for BGP.
	var proposals []map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for len(proposals) == 0 && time.Now().Before(deadline) {
		out, _, _ := runCLI(t, dir, "proposals", "--json")
		proposals = jsonLines(t, out)
		time.Sleep(100 * time.Millisecond)
	}
	if len(proposals) != 1 || proposals[0]["rule"] != "fix-ntp" {
		t.Fatalf("proposals %v; want only fix-ntp\n%s", proposals, s.stderr.String())
	}
	check := proposals[0]["check"].(map[string]any)
	rows := check["rows"].([]any)
	if check["id"] != "320633253" || check["color"] != "red" || check["count"] != float64(2) || len(rows) != 2 ||
		rows[0].(map[string]any)["hostname"] != "r1" {
		t.Fatalf("proposal check %v", check)
	}
	if argv := fmt.Sprint(proposals[0]["argv"]); !strings.Contains(argv, "320633253") {
		t.Errorf("{{check.id}} not filled: %s", argv)
	}
	out, errOut, code2 := runCLI(t, dir, "approve", fmt.Sprint(proposals[0]["id"]))
	if code2 != 0 {
		t.Fatalf("approve: %d %s %s", code2, out, errOut)
	}
	deadline = time.Now().Add(30 * time.Second)
	var run map[string]any
	for run == nil && time.Now().Before(deadline) {
		o, _, _ := runCLI(t, dir, "runs", "--json")
		for _, r := range jsonLines(t, o) {
			if r["state"] == "succeeded" {
				run = r
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if run == nil {
		t.Fatalf("the run did not succeed:\n%s", s.stderr.String())
	}
	got, _, _ := runCLI(t, dir, "run-output", fmt.Sprint(run["id"]))
	if strings.TrimSpace(got) != "320633253 NTP sources 2" {
		t.Errorf("run output %q", got)
	}
	var fileRows []map[string]any
	if b, err := os.ReadFile(filepath.Join(work, "rows.json")); err != nil || json.Unmarshal(b, &fileRows) != nil || len(fileRows) != 2 {
		t.Errorf("IPF_CHECK_ROWS_FILE held %s (%v)", b, err)
	}

	// The token is nowhere ipfwatch writes: not in a file of the data
	// directory (the database included), not in the server's log, not in
	// the program's environment.
	s.stop(t)
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(e2eToken)) {
				t.Errorf("the API token is in %s", path)
			}
		}
		return nil
	})
	if strings.Contains(s.stderr.String(), e2eToken) {
		t.Error("the API token is in the server's log")
	}
	if b, _ := os.ReadFile(filepath.Join(work, "env.txt")); bytes.Contains(b, []byte(e2eToken)) || bytes.Contains(b, []byte("IPF_TOKEN")) {
		t.Error("the API token reached the program's environment")
	}
}

// TestE2ECatchUp: a snapshot that finished while no webhook came is stored
// by `ipfwatch catch-up` (discovery and intent verification, source
// catch-up, enriched); run twice, it adds nothing; the webhook arriving
// late is a duplicate of the caught-up event. A test webhook's snapshot is
// never looked up.
func TestE2ECatchUp(t *testing.T) {
	f := fakeIPF(t)
	dir := t.TempDir()
	out, errOut, code := runCLI(t, dir, "catch-up", "--since", "24h")
	if code != 0 || strings.Count(out, "added event") != 2 || !strings.Contains(out, "snapshot discover completed, snapshot nightly") {
		t.Fatalf("catch-up: %d %q %q", code, out, errOut)
	}
	out, _, code = runCLI(t, dir, "catch-up", "--since", "24h")
	if code != 0 || !strings.Contains(out, "nothing to catch up") {
		t.Errorf("catch-up again: %d %q", code, out)
	}
	out, _, _ = runCLI(t, dir, "log", "--json")
	events := jsonLines(t, out)
	if len(events) != 2 {
		t.Fatalf("events after catch-up: %v", events)
	}
	for _, e := range events {
		ipfj, _ := e["ipf"].(map[string]any)
		if e["source"] != "catch-up" || e["requester"] != "catch-up" || ipfj["state"] != "done" {
			t.Errorf("caught-up event %v", e)
		}
	}

	// The webhook IP Fabric could not deliver then, delivered now, is the
	// same event.
	s := startServe(t, dir)
	body := snapshotBody(e2eSnap, time.Now())
	code, ans := post(t, s.url, body, sign(body, e2eSecret))
	if code != 200 || ans["result"] != "duplicate" {
		t.Errorf("late webhook answered %d %v; want a duplicate of the caught-up event", code, ans)
	}

	// A test webhook carries a random snapshot id: never looked up.
	before := f.Count(ipffake.RouteSnapshot)
	out, _, code = runCLI(t, dir, "send", "--url", s.url, "--test")
	if code != 0 || !strings.HasPrefix(out, "200 ") {
		t.Fatalf("test webhook: %d %q", code, out)
	}
	time.Sleep(300 * time.Millisecond) // what a lookup would take on loopback
	if after := f.Count(ipffake.RouteSnapshot); after != before {
		t.Errorf("a test webhook's snapshot was looked up (%d calls)", after-before)
	}
}

// TestE2EIPFCheck: ipfwatch ipf check names IP Fabric's version, the API
// version and the token's user, and exits non-zero with the reason when
// the token is refused, the certificate is not trusted, or IP Fabric
// cannot be reached.
func TestE2EIPFCheck(t *testing.T) {
	f := fakeIPF(t)
	dir := t.TempDir()
	out, errOut, code := runCLI(t, dir, "ipf", "check")
	if code != 0 || !strings.Contains(out, "IP Fabric 7.0.15+2") || !strings.Contains(out, "API version v7.0") ||
		!strings.Contains(out, "user admin") || strings.Contains(out+errOut, e2eToken) {
		t.Errorf("check: %d %q %q", code, out, errOut)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"invalid token", map[string]string{"IPF_TOKEN": "not-the-token-at-all"}, "API_INVALID_API_TOKEN"},
		{"untrusted certificate", map[string]string{"IPF_VERIFY": "true"}, "SHA-256 fingerprint"},
		{"unreachable", map[string]string{"IPF_URL": ipffake.ClosedURL(t)}, "cannot reach IP Fabric"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			out, errOut, code := runCLI(t, dir, "ipf", "check")
			if code == 0 || !strings.Contains(errOut, c.want) || strings.Contains(out+errOut, e2eToken) {
				t.Errorf("exit %d, %q %q; want a failure saying %q", code, out, errOut, c.want)
			}
		})
	}
	f.SetKnobs(func(k *ipffake.Knobs) { k.TokenExpired = true })
	if _, errOut, code := runCLI(t, dir, "ipf", "check"); code == 0 || !strings.Contains(errOut, "API_EXPIRED_API_TOKEN") {
		t.Errorf("expired token: %d %q", code, errOut)
	}
}

// TestE2ECatchUpAtStart: the running app catches up by itself at start, for
// the time since it last ran: a snapshot that finished while it was
// stopped is stored then, marked as caught up.
func TestE2ECatchUpAtStart(t *testing.T) {
	f := fakeIPF(t)
	f.SetSnapshots() // nothing finished before the first run
	dir := t.TempDir()
	s := startServe(t, dir)
	s.stop(t)
	now := time.Now()
	f.SetSnapshots(ipffake.Snapshot{ID: e2eSnap, Name: "while away", TotalDevCount: 7,
		TsStart: now.Add(-time.Minute).UnixMilli(), TsEnd: now.UnixMilli()})
	s = startServe(t, dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, _ := runCLI(t, dir, "log", "--json")
		events := jsonLines(t, out)
		if len(events) > 0 {
			e := events[len(events)-1]
			if e["source"] != "catch-up" || e["snapshot_id"] != e2eSnap || e["type"] != "snapshot" {
				t.Fatalf("after the restart the log holds %v", events)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing caught up at start:\n%s", s.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The line is logged once the catch-up has stored its events, so it
	// may come just after the event shows in the log.
	for !strings.Contains(s.stderr.String(), "caught up from IP Fabric") {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say what was caught up:\n%s", s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2ETokenStoredWhileServing: `ipfwatch ipf token --set-stdin` beside a
// running `ipfwatch serve` puts the token in force without a restart, as
// `ipfwatch secret` does for the webhook secret.
func TestE2ETokenStoredWhileServing(t *testing.T) {
	fakeIPF(t)
	t.Setenv("IPF_TOKEN", "") // the token comes from the data directory only
	dir := t.TempDir()
	s := startServe(t, dir)
	cmd := exec.Command(ipfwatchBinary(t), "ipf", "token", "--set-stdin")
	cmd.Env = append(os.Environ(), "IPFWATCH_DATA_DIR="+dir, "LANG=en_US.UTF-8")
	cmd.Stdin = strings.NewReader(e2eToken + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ipf token --set-stdin: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(s.stderr.String(), "IP Fabric API token reloaded"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stored token was not taken up:\n%s", s.stderr.String())
		}
	}
	body := intentBody(e2eSnap, time.Now())
	code, ans := post(t, s.url, body, sign(body, e2eSecret))
	if code != 200 {
		t.Fatalf("intent webhook answered %d %v", code, ans)
	}
	eventIPF(t, dir, ans["id"].(float64), "done")
}

// TestE2ECatchUpFailureKeepsItsTime: while IP Fabric cannot answer the
// catch-up, the time it asked from is kept for the next start (what
// finished meanwhile is still missing), and a start asks once, not twice.
func TestE2ECatchUpFailureKeepsItsTime(t *testing.T) {
	f := fakeIPF(t)
	dir := t.TempDir()
	lastRan := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	meta := func() time.Time {
		st, err := store.Open(config.DBPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		at, err := st.MetaTime(context.Background(), store.MetaLastRan)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	{
		st, err := store.Open(config.DBPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := errors.Join(st.SetMetaTime(ctx, store.MetaFirstUsed, lastRan.Add(-time.Hour), false),
			st.SetMetaTime(ctx, store.MetaLastRan, lastRan, false), st.Close()); err != nil {
			t.Fatal(err)
		}
	}
	f.SetFault(ipffake.RouteSnapshotTable, ipffake.Fault{Status: 502})
	s := startServe(t, dir)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(s.stderr.String(), "catch-up from IP Fabric failed"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the failing catch-up was not logged:\n%s", s.stderr.String())
		}
	}
	time.Sleep(time.Second) // room for a second request, were there one
	if n := f.Count(ipffake.RouteSnapshotTable); n != 1 {
		t.Errorf("a start asked IP Fabric for finished snapshots %d times, want 1", n)
	}
	s.stop(t)
	if got := meta(); !got.Equal(lastRan) {
		t.Errorf("after a failed catch-up the next start would ask from %v, want %v (the time still missing)", got, lastRan)
	}
}
