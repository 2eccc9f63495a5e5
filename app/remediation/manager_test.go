//go:build linux

package remediation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// TestMain doubles as a helper process: the crash test starts this binary
// again to play an ipfwatch that is killed in the middle of a run.
func TestMain(m *testing.M) {
	if os.Getenv("IPFW_REMEDIATION_HELPER") == "runner" {
		os.Exit(helperRunner())
	}
	os.Exit(m.Run())
}

// helperRunner opens the database named in the environment, becomes the
// runner, approves the proposal and waits to be killed.
func helperRunner() int {
	dir := os.Getenv("IPFW_DATA_DIR")
	proposal, _ := strconv.ParseInt(os.Getenv("IPFW_PROPOSAL"), 10, 64)
	st, err := store.Open(filepath.Join(dir, "ipfwatch.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	m, err := NewManager(st, Options{DataDir: dir, Logger: testLog, User: func() string { return "helper" }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := m.Start(context.Background()); err != nil || !m.isRunner() {
		fmt.Fprintln(os.Stderr, "not the runner", err)
		return 2
	}
	if _, err := m.Approve(context.Background(), proposal); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	select {} // until SIGKILL
}

func TestChildGetsExactArgvAndMinimalEnv(t *testing.T) {
	e := newEnv(t)
	t.Setenv("IPF_WEBHOOK_SECRET", "s3cret-current-value")
	t.Setenv("IPF_WEBHOOK_SECRET_PREVIOUS", "s3cret-previous-value")
	t.Setenv("SOME_OTHER_VAR", "leak")
	t.Setenv("LANG", "C.UTF-8")
	dump := e.script("dump.sh", `
for a in "$@"; do printf '%s\0' "$a"; done > argv.out
cat /proc/$$/environ > env.out
cat "$IPF_EVENT_FILE" > event.out
stat -c %a "$IPF_EVENT_FILE" > perm.out
printf '%s' "$IPF_EVENT_FILE" > eventpath.out
echo done
`)
	r := e.rule("dump", dump, "--snapshot", "{{snapshotId}}", "two words", "$(touch pwned-literal)", "`touch pwned-bt`; rm -rf /", "", "line1\nline2", "{{event.id}}")
	r.Env = map[string]string{"ANSIBLE_FORCE_COLOR": "0", "SNAP": "{{snapshot.id}}", "PATH": "/usr/bin:/bin"}
	m := e.manager([]Rule{r}, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hostileName := "$(touch pwned); `touch pwned` ; rm -rf / \n'\"|&>x\\"
	ev := e.event(func(ev *webhook.Payload) {
		ev.SnapshotID = "$lastLocked"
		ev.SnapshotName = hostileName
		ev.Requester = "snapshot:discover"
		ev.TimestampMillis = 1712345678901
	})
	ids, err := m.OnEvent(context.Background(), ev)
	if err != nil || len(ids) != 1 {
		t.Fatalf("OnEvent: %v, %v", ids, err)
	}
	runID, err := m.Approve(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	run := waitRun(t, m, runID, 10*time.Second)
	if run.State != store.StateSucceeded || run.ExitCode == nil || *run.ExitCode != 0 || string(run.Output) != "done\n" {
		t.Fatalf("run %+v, output %q", run, run.Output)
	}

	argv, _ := os.ReadFile(filepath.Join(e.work, "argv.out"))
	wantArgv := []string{"--snapshot", "$lastLocked", "two words", "$(touch pwned-literal)", "`touch pwned-bt`; rm -rf /", "", "line1\nline2", strconv.FormatInt(ev.ID, 10)}
	if got := strings.Split(strings.TrimSuffix(string(argv), "\x00"), "\x00"); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", wantArgv) {
		t.Errorf("argv\n got %q\nwant %q", got, wantArgv)
	}

	envData, _ := os.ReadFile(filepath.Join(e.work, "env.out"))
	got := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(envData), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	eventPath, _ := os.ReadFile(filepath.Join(e.work, "eventpath.out"))
	home, _ := os.LookupEnv("HOME")
	want := map[string]string{
		"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
		"ANSIBLE_FORCE_COLOR": "0", "SNAP": "$lastLocked",
		"IPF_EVENT_ID": strconv.FormatInt(ev.ID, 10), "IPF_EVENT_TYPE": "intent-verification",
		"IPF_EVENT_ACTION": "calculate", "IPF_EVENT_STATUS": "completed",
		"IPF_SNAPSHOT_ID": "$lastLocked", "IPF_SNAPSHOT_NAME": hostileName,
		"IPF_REQUESTER": "snapshot:discover", "IPF_EVENT_TIMESTAMP": "1712345678901",
		"IPF_EVENT_FILE": string(eventPath),
	}
	if home != "" {
		want["HOME"] = home
	}
	if fmt.Sprintf("%q", sortedPairs(got)) != fmt.Sprintf("%q", sortedPairs(want)) {
		t.Errorf("child environment\n got %q\nwant %q", sortedPairs(got), sortedPairs(want))
	}
	if bytes.Contains(envData, []byte("s3cret")) || bytes.Contains(envData, []byte("leak")) {
		t.Error("the child saw the webhook secret or another variable of ours")
	}

	body, _ := os.ReadFile(filepath.Join(e.work, "event.out"))
	full, _ := e.st.GetEvent(context.Background(), ev.ID)
	if !bytes.Equal(body, full.Body) {
		t.Errorf("event file %q, want the raw body %q", body, full.Body)
	}
	if perm, _ := os.ReadFile(filepath.Join(e.work, "perm.out")); strings.TrimSpace(string(perm)) != "600" {
		t.Errorf("event file mode %q, want 600", perm)
	}
	if _, err := os.Stat(string(eventPath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("event file %s not removed after the run: %v", eventPath, err)
	}
	for _, dir := range []string{e.work, "."} {
		for _, f := range []string{"pwned", "pwned-literal", "pwned-bt"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				t.Errorf("%s/%s exists: a value was interpreted by a shell", dir, f)
			}
		}
	}

	// Recorded: who approved and when, start, end, exit code.
	if run.ApprovedBy != "tester" || run.ApprovedAt.IsZero() || run.StartedAt.IsZero() || run.EndedAt.IsZero() || run.EndedAt.Before(run.StartedAt) {
		t.Errorf("run record %+v", run)
	}
	p, err := m.Proposal(context.Background(), ids[0])
	if err != nil || p.State != store.StateSucceeded || p.RunID != runID || p.DecidedBy != "tester" {
		t.Errorf("proposal after the run: %+v, %v", p, err)
	}
	var titles []string
	for _, n := range e.rec.notifications() {
		titles = append(titles, n.Title)
	}
	wantTitles := []string{"Remediation 'dump' awaits your approval", "Remediation 'dump' succeeded"}
	if fmt.Sprint(titles) != fmt.Sprint(wantTitles) {
		t.Errorf("notifications %q, want %q", titles, wantTitles)
	}
}

func sortedPairs(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func TestHostilePlaceholderValueGetsNoProposal(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("r", "/bin/echo", "{{snapshotId}}")}, nil)
	for _, hostile := range []string{"$(touch pwned)", "a;b", "`id`", "a\nb"} {
		ev := e.event(func(ev *webhook.Payload) { ev.SnapshotID = hostile })
		ids, err := m.OnEvent(context.Background(), ev)
		if err != nil || len(ids) != 0 {
			t.Errorf("snapshot id %q: proposals %v, err %v; want none", hostile, ids, err)
		}
		if _, err := m.Propose(context.Background(), ev.ID, "r"); !errors.Is(err, ErrUnsafeValue) {
			t.Errorf("manual proposal with snapshot id %q: %v, want ErrUnsafeValue", hostile, err)
		}
	}
	if ps, _ := m.Proposals(context.Background(), "", 0); len(ps) != 0 {
		t.Errorf("%d proposals stored", len(ps))
	}
}

func TestOnEventProposesOncePerEventAndRule(t *testing.T) {
	e := newEnv(t)
	disabled := e.rule("off", "/bin/true")
	disabled.Enabled = false
	other := e.rule("other", "/bin/true")
	other.Match.Status = "failed"
	m := e.manager([]Rule{e.rule("fix-ntp", "/bin/true", "{{snapshotId}}"), e.rule("second", "/bin/true"), disabled, other}, nil)
	ev := e.event(nil)
	first, err := m.OnEvent(context.Background(), ev)
	if err != nil || len(first) != 2 {
		t.Fatalf("first OnEvent: %v, %v; want two proposals", first, err)
	}
	again, err := m.OnEvent(context.Background(), ev)
	if err != nil || len(again) != 0 {
		t.Fatalf("second OnEvent: %v, %v; want none", again, err)
	}
	ps, err := m.Proposals(context.Background(), store.StatePending, 0)
	if err != nil || len(ps) != 2 {
		t.Fatalf("pending proposals: %d, %v", len(ps), err)
	}
	if ps[0].ID < ps[1].ID {
		t.Error("proposals not newest first")
	}
	p := ps[1]
	if p.Rule != "fix-ntp" || p.Manual || p.EventID != ev.ID || p.Event.SnapshotID != ev.SnapshotID || p.Event.Type != "intent-verification" ||
		fmt.Sprint(p.Argv) != fmt.Sprint([]string{"/bin/true", ev.SnapshotID}) || p.Workdir != e.work || p.Timeout != time.Minute ||
		p.ExpiresAt.Sub(p.CreatedAt) != time.Hour || p.RunID != 0 {
		t.Errorf("proposal %+v", p)
	}
	if n, _ := m.PendingCount(context.Background()); n != 2 {
		t.Errorf("PendingCount %d", n)
	}
	ns := e.rec.notifications()
	if len(ns) != 2 || ns[0].Title != "Remediation 'fix-ntp' awaits your approval" || ns[0].Kind != notify.ApprovalPending {
		t.Errorf("notifications %+v", ns)
	}

	// Test events match only rules that allow them.
	test := e.event(func(ev *webhook.Payload) { ev.Test = true })
	if ids, _ := m.OnEvent(context.Background(), test); len(ids) != 0 {
		t.Errorf("test event got proposals %v", ids)
	}

	// A manual proposal may repeat; Preview writes nothing.
	plan, err := m.Preview(context.Background(), ev.ID, "off")
	if err != nil || plan.Rule != "off" || plan.Argv[0] != "/bin/true" {
		t.Fatalf("Preview: %+v, %v", plan, err)
	}
	if n, _ := m.PendingCount(context.Background()); n != 2 {
		t.Errorf("Preview wrote: %d pending", n)
	}
	for i := 0; i < 2; i++ {
		if _, err := m.Propose(context.Background(), ev.ID, "fix-ntp"); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := m.PendingCount(context.Background()); n != 4 {
		t.Errorf("after two manual proposals: %d pending, want 4", n)
	}
	if _, err := m.Propose(context.Background(), ev.ID, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := m.Preview(context.Background(), 99999, "fix-ntp"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown event: %v", err)
	}
}

func TestConcurrentApprovalsLaunchOnce(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("once", e.script("once.sh", "echo ran >> ran.log\n"))}, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := e.propose(m, "once")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins []int64
	var decided int
	start := make(chan struct{})
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			runID, err := m.Approve(context.Background(), id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins = append(wins, runID)
			case errors.Is(err, ErrDecided):
				decided++
			default:
				t.Errorf("Approve: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(wins) != 1 || decided != 19 {
		t.Fatalf("%d approvals won, %d refused as decided; want 1 and 19", len(wins), decided)
	}
	waitRun(t, m, wins[0], 10*time.Second)
	time.Sleep(200 * time.Millisecond) // a few more polls: nothing else may start
	runs, _ := m.Runs(context.Background(), 0)
	if len(runs) != 1 || m.launched.Load() != 1 {
		t.Errorf("%d runs, %d launched; want 1", len(runs), m.launched.Load())
	}
	if log, _ := os.ReadFile(filepath.Join(e.work, "ran.log")); string(log) != "ran\n" {
		t.Errorf("the script ran %q", log)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	m := e.manager([]Rule{e.rule("r", "/bin/true")}, func(o *Options) { o.Now = clk.Now })
	ctx := context.Background()

	if _, err := m.Approve(ctx, 12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown proposal: %v", err)
	}
	if err := m.Reject(ctx, 12345, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("reject unknown: %v", err)
	}
	if err := m.Cancel(12345); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel unknown: %v", err)
	}

	rejected := e.propose(m, "r")
	if err := m.Reject(ctx, rejected, "not during business hours"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Approve(ctx, rejected); !errors.Is(err, ErrDecided) || !strings.Contains(err.Error(), "rejected") {
		t.Errorf("approve rejected: %v", err)
	}
	p, _ := m.Proposal(ctx, rejected)
	if p.State != store.StateRejected || p.Comment != "not during business hours" || p.DecidedBy != "tester" || !p.DecidedAt.Equal(clk.Now()) {
		t.Errorf("rejected proposal %+v", p)
	}

	// Expiry, with the clock moved past it.
	expiring := e.propose(m, "r")
	clk.Add(time.Hour) // the rule's expiry: exactly at expires_at it is over
	if _, err := m.Approve(ctx, expiring); !errors.Is(err, ErrExpired) {
		t.Fatalf("approve expired: %v", err)
	}
	if err := m.Reject(ctx, expiring, ""); !errors.Is(err, ErrExpired) {
		t.Errorf("reject expired: %v", err)
	}
	p, _ = m.Proposal(ctx, expiring)
	if p.State != store.StateExpired {
		t.Errorf("expired proposal shows %s", p.State)
	}
	if ps, _ := m.Proposals(ctx, store.StateExpired, 0); len(ps) != 1 || ps[0].ID != expiring {
		t.Errorf("expired list %+v", ps)
	}
	if n, _ := m.PendingCount(ctx); n != 0 {
		t.Errorf("PendingCount %d", n)
	}
	// Expiry is derived, never stored: the proposal still records only that
	// nobody decided, and stays refused.
	if ps, _ := m.Proposals(ctx, store.StatePending, 0); len(ps) != 0 {
		t.Errorf("pending list still has the expired proposal: %+v", ps)
	}
	if runs, _ := m.Runs(ctx, 0); len(runs) != 0 {
		t.Errorf("refusals created runs: %+v", runs)
	}

	// Cancel of a queued run (no runner started) and of an ended one.
	queued := e.propose(m, "r")
	runID, err := m.Approve(ctx, queued)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Approve(ctx, queued); !errors.Is(err, ErrDecided) {
		t.Errorf("approve twice: %v", err)
	}
	if err := m.Cancel(runID); err != nil {
		t.Fatal(err)
	}
	run, _ := m.Run(ctx, runID)
	p, _ = m.Proposal(ctx, queued)
	if run.State != store.StateCancelled || p.State != store.StateCancelled || !run.StartedAt.IsZero() {
		t.Errorf("cancelled queued run %+v, proposal %s", run, p.State)
	}
	if err := m.Cancel(runID); !errors.Is(err, ErrDecided) {
		t.Errorf("cancel ended run: %v", err)
	}
	if err := m.RunNow(ctx, runID, nil); !errors.Is(err, ErrDecided) {
		t.Errorf("RunNow on a cancelled run: %v", err)
	}
}

// stubborn is a script that ignores SIGTERM (and so does the grandchild it
// leaves behind, which inherits that), so only SIGKILL to the whole process
// group stops them.
const stubborn = `trap '' TERM
sleep 1000 &
echo $! > child.pid
echo started
while :; do sleep 0.05; done
`

func TestTimeoutAndCancelStopTheWholeTree(t *testing.T) {
	for _, how := range []string{"timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			r := e.rule("slow", e.script("slow.sh", stubborn))
			if how == "timeout" {
				r.Timeout = 700 * time.Millisecond
			}
			m := e.manager([]Rule{r}, nil)
			if err := m.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			runID, err := m.Approve(context.Background(), e.propose(m, "slow"))
			if err != nil {
				t.Fatal(err)
			}
			child := readPID(t, filepath.Join(e.work, "child.pid"))
			killLater(t, child)
			if gone(child) {
				t.Fatal("grandchild not running to begin with")
			}
			if how == "cancel" {
				if err := m.Cancel(runID); err != nil {
					t.Fatal(err)
				}
			}
			run := waitRun(t, m, runID, 10*time.Second)
			want := map[string]string{"timeout": store.StateTimedOut, "cancel": store.StateCancelled}[how]
			if run.State != want {
				t.Fatalf("state %s, want %s (%s)", run.State, want, run.Error)
			}
			if !gone(child) {
				t.Errorf("grandchild %d survived the %s", child, how)
			}
			if !strings.HasPrefix(string(run.Output), "started\n") || run.EndedAt.IsZero() {
				t.Errorf("run %+v, output %q", run, run.Output)
			}
			if how == "timeout" {
				ns := e.rec.notifications()
				if last := ns[len(ns)-1]; last.Title != "Remediation 'slow' timed out" || last.Kind != notify.RunEnded || !last.Urgent {
					t.Errorf("notification %+v", last)
				}
			}
		})
	}
}

func TestOutputCapAndMarker(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("loud", e.script("loud.sh", "head -c 5000 /dev/zero | tr '\\0' x\necho tail >&2\nexit 3\n"))},
		func(o *Options) { o.OutputCap = 1000 })
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	runID, err := m.Approve(context.Background(), e.propose(m, "loud"))
	if err != nil {
		t.Fatal(err)
	}
	run := waitRun(t, m, runID, 10*time.Second)
	want := strings.Repeat("x", 1000) + "\n[output truncated at 1000 bytes]\n"
	if string(run.Output) != want || !run.Truncated {
		t.Errorf("output %d bytes ending %q, truncated %v", len(run.Output), run.Output[max(0, len(run.Output)-40):], run.Truncated)
	}
	if run.State != store.StateFailed || run.ExitCode == nil || *run.ExitCode != 3 {
		t.Errorf("run %+v", run)
	}
	ns := e.rec.notifications()
	if last := ns[len(ns)-1]; last.Title != "Remediation 'loud' failed (exit 3)" {
		t.Errorf("notification %+v", last)
	}
}

func TestStderrAndStdoutShareOrderAndSubscribersStream(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("talk", e.script("talk.sh",
		"echo one\necho err >&2\nwhile [ ! -f go ]; do sleep 0.02; done\necho two\n"))}, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	runID, err := m.Approve(context.Background(), e.propose(m, "talk"))
	if err != nil {
		t.Fatal(err)
	}
	waitRunState(t, m, runID, 10*time.Second, func(s string) bool { return s == store.StateRunning })
	var ch <-chan []byte
	var cancel func()
	for deadline := time.Now().Add(5 * time.Second); ; {
		m.mu.Lock()
		x := m.active[runID]
		m.mu.Unlock()
		if x != nil {
			if out, _, _ := x.snapshot(); string(out) == "one\nerr\n" {
				ch, cancel = m.Subscribe(runID)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no output")
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer cancel()
	if first := <-ch; string(first) != "one\nerr\n" {
		t.Fatalf("first chunk %q", first)
	}
	writeFile(t, filepath.Join(e.work, "go"), "x")
	var rest []byte
	for c := range ch {
		rest = append(rest, c...)
	}
	if string(rest) != "two\n" {
		t.Errorf("streamed %q, want %q", rest, "two\n")
	}
	// The channel closes only after the end is stored.
	run, _ := m.Run(context.Background(), runID)
	if run.State != store.StateSucceeded || string(run.Output) != "one\nerr\ntwo\n" {
		t.Errorf("run %+v output %q", run, run.Output)
	}
	// A finished run has nothing to stream.
	if ch, _ := m.Subscribe(runID); ch != nil {
		if _, open := <-ch; open {
			t.Error("subscription to an ended run is open")
		}
	}
}

func TestConcurrencyLimitQueues(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("wait", e.script("wait.sh", "echo $$ >> started.log\nwhile [ ! -f go ]; do sleep 0.02; done\n"))},
		func(o *Options) { o.MaxConcurrent = 1 })
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, err := m.Approve(context.Background(), e.propose(m, "wait"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Approve(context.Background(), e.propose(m, "wait"))
	if err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(e.work, "started.log"), 10*time.Second)
	time.Sleep(300 * time.Millisecond) // several polls
	if r, _ := m.Run(context.Background(), second); r.State != store.StateQueued {
		t.Fatalf("second run is %s while the first runs; want queued", r.State)
	}
	writeFile(t, filepath.Join(e.work, "go"), "x")
	for _, id := range []int64{first, second} {
		if r := waitRun(t, m, id, 10*time.Second); r.State != store.StateSucceeded {
			t.Errorf("run %d %s", id, r.State)
		}
	}
}

func TestRunnerLockSharedDataDir(t *testing.T) {
	e := newEnv(t)
	rules := []Rule{e.rule("quick", e.script("quick.sh", "echo quick\n")), e.rule("slow", e.script("slow.sh", stubborn))}
	m1 := e.manager(rules, nil)
	if err := m1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The second process: its own store connection, the same data directory.
	st2, err := store.Open(filepath.Join(e.dir, "ipfwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	m2, err := NewManager(st2, Options{DataDir: e.dir, Logger: testLog, User: func() string { return "other" }})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if err := m2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !m1.isRunner() || m2.isRunner() {
		t.Fatalf("runner: first %v, second %v", m1.isRunner(), m2.isRunner())
	}
	if !m1.RunnerActive() || !m2.RunnerActive() {
		t.Fatal("RunnerActive false while a runner holds the lock")
	}
	if err := m2.RunNow(context.Background(), 1, nil); !errors.Is(err, ErrRunnerActive) {
		t.Errorf("RunNow beside a runner: %v", err)
	}

	// Approved through the second, run by the first.
	runID, err := m2.Approve(context.Background(), e.propose(m2, "quick"))
	if err != nil {
		t.Fatal(err)
	}
	run := waitRun(t, m2, runID, 10*time.Second)
	if run.State != store.StateSucceeded || string(run.Output) != "quick\n" || run.ApprovedBy != "other" {
		t.Fatalf("run %+v output %q", run, run.Output)
	}
	if m1.launched.Load() != 1 || m2.launched.Load() != 0 {
		t.Errorf("launched: first %d, second %d", m1.launched.Load(), m2.launched.Load())
	}

	// Cancelled through the second, stopped by the first.
	slow, err := m2.Approve(context.Background(), e.propose(m2, "slow"))
	if err != nil {
		t.Fatal(err)
	}
	child := readPID(t, filepath.Join(e.work, "child.pid"))
	killLater(t, child)
	waitRunState(t, m2, slow, 10*time.Second, func(s string) bool { return s == store.StateRunning })
	if err := m2.Cancel(slow); err != nil {
		t.Fatal(err)
	}
	if r := waitRun(t, m2, slow, 10*time.Second); r.State != store.StateCancelled || !gone(child) {
		t.Errorf("cancel from the other process: %s, grandchild gone %v", r.State, gone(child))
	}

	// When the first goes away, the second takes over.
	m1.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !m2.isRunner() {
		if time.Now().After(deadline) {
			t.Fatal("the second manager did not take over")
		}
		time.Sleep(20 * time.Millisecond)
	}
	runID, err = m2.Approve(context.Background(), e.propose(m2, "quick"))
	if err != nil {
		t.Fatal(err)
	}
	if r := waitRun(t, m2, runID, 10*time.Second); r.State != store.StateSucceeded || m2.launched.Load() != 1 {
		t.Errorf("after takeover: %s, launched %d", r.State, m2.launched.Load())
	}
}

func TestRunNowInForeground(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{
		e.rule("ok", e.script("ok.sh", "echo hello\necho world >&2\n")),
		e.rule("bad", e.script("bad.sh", "echo nope\nexit 3\n")),
		e.rule("missing", filepath.Join(e.work, "does-not-exist")),
	}, nil)
	if m.RunnerActive() {
		t.Fatal("runner active before anyone started")
	}
	ctx := context.Background()
	runID, err := m.Approve(ctx, e.propose(m, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := m.RunNow(ctx, runID, &out); err != nil {
		t.Fatal(err)
	}
	run, _ := m.Run(ctx, runID)
	if out.String() != "hello\nworld\n" || string(run.Output) != "hello\nworld\n" || run.State != store.StateSucceeded {
		t.Errorf("streamed %q, stored %q, state %s", out.String(), run.Output, run.State)
	}
	if m.RunnerActive() {
		t.Error("RunNow kept the runner lock")
	}

	runID, _ = m.Approve(ctx, e.propose(m, "bad"))
	if err := m.RunNow(ctx, runID, &out); !errors.Is(err, ErrRunFailed) || !strings.Contains(err.Error(), "failed (exit 3)") {
		t.Errorf("failing run: %v", err)
	}
	runID, _ = m.Approve(ctx, e.propose(m, "missing"))
	if err := m.RunNow(ctx, runID, &out); !errors.Is(err, ErrRunFailed) {
		t.Errorf("missing program: %v", err)
	}
	run, _ = m.Run(ctx, runID)
	if run.State != store.StateFailed || run.ExitCode != nil || !strings.Contains(run.Error, "could not start") {
		t.Errorf("missing program recorded as %+v", run)
	}
	if err := m.RunNow(ctx, runID, &out); !errors.Is(err, ErrDecided) {
		t.Errorf("RunNow twice: %v", err)
	}
}

func TestCloseInterruptsRunningRun(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("slow", e.script("slow.sh", stubborn))}, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	proposal := e.propose(m, "slow")
	runID, err := m.Approve(context.Background(), proposal)
	if err != nil {
		t.Fatal(err)
	}
	child := readPID(t, filepath.Join(e.work, "child.pid"))
	killLater(t, child)
	waitRunState(t, m, runID, 10*time.Second, func(s string) bool { return s == store.StateRunning })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	run, _ := m.Run(context.Background(), runID)
	p, _ := m.Proposal(context.Background(), proposal)
	if run.State != store.StateInterrupted || p.State != store.StateInterrupted || !strings.HasPrefix(string(run.Output), "started\n") {
		t.Errorf("after Close: run %+v output %q, proposal %s", run, run.Output, p.State)
	}
	if !gone(child) {
		t.Error("grandchild survived Close")
	}
	if m.RunnerActive() {
		t.Error("lock still held after Close")
	}
}

func TestInterruptedAfterCrash(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("crash", e.script("crash.sh", "echo $$ > script.pid\necho run >> runs.log\nexec sleep 1000\n"))}, nil)
	proposal := e.propose(m, "crash")
	pending := e.propose(m, "crash") // stays pending throughout

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "IPFW_REMEDIATION_HELPER=runner", "IPFW_DATA_DIR="+e.dir, fmt.Sprint("IPFW_PROPOSAL=", proposal))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	script := readPID(t, filepath.Join(e.work, "script.pid"))
	killLater(t, script)
	if !m.RunnerActive() {
		t.Fatal("the helper does not hold the runner lock")
	}
	runs, _ := m.Runs(context.Background(), 0)
	if len(runs) != 1 || runs[0].State != store.StateRunning {
		t.Fatalf("runs before the crash: %+v", runs)
	}
	// The crash.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if stderr.Len() > 0 {
		t.Logf("helper: %s", stderr.String())
	}

	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !m.isRunner() {
		t.Fatal("the lock of the killed process was not released")
	}
	run, _ := m.Run(context.Background(), runs[0].ID)
	p, _ := m.Proposal(context.Background(), proposal)
	if run.State != store.StateInterrupted || p.State != store.StateInterrupted || run.EndedAt.IsZero() || run.Error == "" {
		t.Errorf("after restart: run %+v, proposal %s", run, p.State)
	}
	time.Sleep(300 * time.Millisecond) // several polls: nothing may re-run
	if log, _ := os.ReadFile(filepath.Join(e.work, "runs.log")); string(log) != "run\n" {
		t.Errorf("the script ran %q times", log)
	}
	if _, err := m.Approve(context.Background(), proposal); !errors.Is(err, ErrDecided) {
		t.Errorf("re-approving the interrupted proposal: %v", err)
	}
	if q, _ := m.Proposal(context.Background(), pending); q.State != store.StatePending {
		t.Errorf("pending proposal became %s", q.State)
	}
	if runs, _ := m.Runs(context.Background(), 0); len(runs) != 1 {
		t.Errorf("%d runs after restart", len(runs))
	}
}

func TestRulesFileReloadKeepsLastValid(t *testing.T) {
	e := newEnv(t)
	m := e.manager([]Rule{e.rule("a", "/bin/true")}, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRules := func(ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("rules %+v, error %v", m.Rules(), m.RulesError())
			}
		}
	}
	path := filepath.Join(e.dir, "remediations.yaml")
	writeFile(t, path, "rules:\n  - name: b\n    command: [/bin/false]\n")
	waitRules(func() bool { r := m.Rules(); return len(r) == 1 && r[0].Name == "b" })
	writeFile(t, path, "rules:\n  - name: c\n    command: [/bin/false]\n    colour: red\n")
	waitRules(func() bool { return m.RulesError() != nil })
	if err := m.RulesError(); !strings.Contains(err.Error(), "line 4") {
		t.Errorf("error %v does not name line 4", err)
	}
	if r := m.Rules(); len(r) != 1 || r[0].Name != "b" {
		t.Errorf("invalid file replaced the rules: %+v", r)
	}
	// SetRules validates, saves and clears the error.
	if err := m.SetRules([]Rule{{Name: "x"}}); err == nil {
		t.Error("SetRules took a rule without a command")
	}
	if err := m.SetRules([]Rule{e.rule("d", "/bin/true")}); err != nil {
		t.Fatal(err)
	}
	if r := m.Rules(); len(r) != 1 || r[0].Name != "d" || m.RulesError() != nil {
		t.Errorf("after SetRules: %+v, %v", r, m.RulesError())
	}
	if back, err := LoadRules(path); err != nil || len(back) != 1 || back[0].Name != "d" {
		t.Errorf("file after SetRules: %+v, %v", back, err)
	}
}
