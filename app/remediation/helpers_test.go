//go:build linux

package remediation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// recorder keeps what the manager posted and announced.
type recorder struct {
	mu      sync.Mutex
	posted  []notify.Notification
	changes []Change
}

func (r *recorder) Post(n notify.Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posted = append(r.posted, n)
}

func (r *recorder) change(c Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
}

func (r *recorder) notifications() []notify.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Notification(nil), r.posted...)
}

// clock is an adjustable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's world: a data directory with a database, a rules file
// and a directory for scripts and what they leave behind.
type env struct {
	t    *testing.T
	dir  string // data directory
	work string // scripts' working directory
	st   *store.Store
	rec  *recorder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "ipfwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, dir: dir, work: work, st: st, rec: &recorder{}}
}

// script writes an executable /bin/sh script into the work directory.
func (e *env) script(name, body string) string {
	e.t.Helper()
	path := filepath.Join(e.work, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// rule is a rule matching the default test event that runs argv in the
// work directory.
func (e *env) rule(name string, argv ...string) Rule {
	return Rule{
		Name: name, Enabled: true,
		Match:   Match{Type: "intent-verification", Action: "calculate", Status: "completed"},
		Command: argv, Workdir: e.work, Timeout: time.Minute, Expires: time.Hour,
	}
}

var testLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// manager saves rules and builds a manager with short intervals.
func (e *env) manager(rules []Rule, tweak func(*Options)) *Manager {
	e.t.Helper()
	path := filepath.Join(e.dir, "remediations.yaml")
	if err := SaveRules(path, rules); err != nil {
		e.t.Fatal(err)
	}
	o := Options{
		DataDir: e.dir, Notifier: e.rec, OnChange: e.rec.change, Grace: 300 * time.Millisecond,
		User: func() string { return "tester" }, Logger: testLog,
	}
	if tweak != nil {
		tweak(&o)
	}
	m, err := NewManager(e.st, o)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := m.RulesError(); err != nil {
		e.t.Fatal(err)
	}
	m.flushEvery, m.drain = 100*time.Millisecond, 500*time.Millisecond
	e.t.Cleanup(func() { m.Close() })
	return m
}

var eventSeq atomic.Int64

// event stores an "intent-verification calculate completed" event, changed
// by mod, and returns it as stored.
func (e *env) event(mod func(*webhook.Payload)) webhook.Event {
	e.t.Helper()
	n := eventSeq.Add(1)
	ev := webhook.Payload{
		Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover",
		TimestampMillis: 1_700_000_000_000 + n, SnapshotID: fmt.Sprintf("snap-%d", n), SnapshotName: "weekly",
	}
	if mod != nil {
		mod(&ev)
	}
	body, err := json.Marshal(map[string]any{
		"type": ev.Type, "action": ev.Action, "status": ev.Status, "requester": ev.Requester,
		"timestamp": ev.TimestampMillis, "test": ev.Test, "snapshotId": ev.SnapshotID,
		"snapshot": map[string]any{"name": ev.SnapshotName}, "n": n,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	d := webhook.Event{Payload: ev, Body: body, Key: fmt.Sprintf("test-%d-%d", n, time.Now().UnixNano()), ReceivedAt: time.Now()}
	res, err := e.st.InsertEvent(context.Background(), d)
	if err != nil {
		e.t.Fatal(err)
	}
	row, err := e.st.GetEvent(context.Background(), res.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return row
}

// propose stores an event and a manual proposal of rule for it.
func (e *env) propose(m *Manager, rule string) int64 {
	e.t.Helper()
	ev := e.event(nil)
	id, err := m.Propose(context.Background(), ev.ID, rule)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func ended(state string) bool {
	switch state {
	case store.StateSucceeded, store.StateFailed, store.StateCancelled, store.StateTimedOut, store.StateInterrupted:
		return true
	}
	return false
}

// waitRun polls until the run has ended and returns it.
func waitRun(t *testing.T, m *Manager, id int64, within time.Duration) store.Run {
	t.Helper()
	return waitRunState(t, m, id, within, ended)
}

func waitRunState(t *testing.T, m *Manager, id int64, within time.Duration, ok func(string) bool) store.Run {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r, err := m.Run(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(r.State) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still %s after %v; output %q", id, r.State, within, r.Output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFile waits for a file to exist with content and returns it.
func waitFile(t *testing.T, path string, within time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 && bytes.HasSuffix(data, []byte("\n")) {
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written within %v", path, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(string(waitFile(t, path, 10*time.Second))))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// gone reports whether pid no longer runs. A zombie counts as gone: it is
// dead, merely not yet reaped by a PID 1 that may never reap it.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
		return true
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

// killLater makes sure a process is stopped when the test ends, whatever
// happened.
func killLater(t *testing.T, pid int) {
	t.Cleanup(func() {
		syscall.Kill(-pid, syscall.SIGKILL)
		syscall.Kill(pid, syscall.SIGKILL)
	})
}
