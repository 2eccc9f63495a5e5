package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

const secret = "app-test-secret"

// recorder is a notification sender that remembers what it was asked to
// show; the real daemon is exercised in app/notify and the end-to-end tests.
type recorder struct {
	mu    sync.Mutex
	notes []string
}

func (r *recorder) Send(title, body string, urgent bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, title+" | "+body)
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.notes...)
}

func ptr[T any](v T) *T { return &v }

func quietLogger(buf io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type fixture struct {
	a    *app.App
	rec  *recorder
	logs *bytes.Buffer
	dir  string
}

func newApp(t testing.TB, withSecret bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	rec := &recorder{}
	logs := &bytes.Buffer{}
	a, err := app.Open(app.Options{
		DataDir:   dir,
		Overrides: config.Overrides{Listen: ptr("127.0.0.1:0")},
		Sender:    rec,
		Logger:    quietLogger(&lockedWriter{w: logs}),
		NoRunner:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if withSecret {
		if _, err := a.SetSecret(config.Current, secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	return &fixture{a: a, rec: rec, logs: logs, dir: dir}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func waitChange(t *testing.T, sub *app.Subscription, kind app.ChangeKind) app.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		c, ok := sub.Next(ctx)
		if !ok {
			t.Fatalf("no %s change", kind)
		}
		if c.Kind == kind {
			return c
		}
	}
}

func TestAcceptStoresPublishesAndNotifies(t *testing.T) {
	f := newApp(t, true)
	sub := f.a.Subscribe()
	defer sub.Close()
	ctx := context.Background()
	body := send.Body(send.Payload{Status: "failed", Reason: "license expired", SnapshotName: "nightly", SnapshotID: "s-1"})
	ans, err := send.Signed(ctx, f.a.URL(), secret, body)
	if err != nil || ans.Status != 200 || !strings.Contains(ans.Body, `"result":"ok"`) {
		t.Fatalf("first delivery: %v %v", ans, err)
	}
	c := waitChange(t, sub, app.EventStored)
	ev, err := f.a.Store().GetEvent(ctx, c.ID)
	if err != nil || ev.SnapshotID != "s-1" || ev.Status != "failed" || !bytes.Equal(ev.Body, body) {
		t.Fatalf("stored event %+v, %v", ev, err)
	}
	// A retry is answered 2xx with the same id and neither stored nor notified again.
	ans, err = send.Signed(ctx, f.a.URL(), secret, body)
	if err != nil || ans.Status != 200 || !strings.Contains(ans.Body, `"result":"duplicate"`) || !strings.Contains(ans.Body, fmt.Sprintf(`"id":%d`, c.ID)) {
		t.Fatalf("retry: %v %v", ans, err)
	}
	waitChange(t, sub, app.EventDuplicate)
	deadline := time.Now().Add(10 * time.Second)
	for len(f.rec.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	notes := f.rec.all()
	if len(notes) != 1 || !strings.Contains(notes[0], "failed") || !strings.Contains(notes[0], "license expired") {
		t.Fatalf("notifications %q", notes)
	}
	st := f.a.Status(ctx)
	if st.State != app.StateListening || st.EventsToday != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestRejectionRecordedAndSeen(t *testing.T) {
	f := newApp(t, true)
	sub := f.a.Subscribe()
	defer sub.Close()
	ctx := context.Background()
	body := send.Body(send.Payload{})
	ans, err := send.Do(ctx, nil, f.a.URL(), body, listener.Sign(body, "wrong"))
	if err != nil || ans.Status != 400 {
		t.Fatalf("bad signature answered %v %v", ans, err)
	}
	c := waitChange(t, sub, app.RejectionRecorded)
	r, err := f.a.Store().GetRejection(ctx, c.ID)
	if err != nil || r.Reason != "Invalid message signature" {
		t.Fatalf("rejection %+v %v", r, err)
	}
	if st := f.a.Status(ctx); st.UnseenFailures != 1 || st.RejectionsToday != 1 {
		t.Errorf("status after a failure: %+v", st)
	}
	f.a.MarkFailuresSeen(ctx)
	if st := f.a.Status(ctx); st.UnseenFailures != 0 {
		t.Errorf("unseen after MarkFailuresSeen: %d", st.UnseenFailures)
	}
}

func TestPauseAnswers503(t *testing.T) {
	f := newApp(t, true)
	ctx := context.Background()
	f.a.SetPaused(true)
	if st := f.a.Status(ctx); st.State != app.StatePaused {
		t.Errorf("state %s", st.State)
	}
	ans, err := send.Signed(ctx, f.a.URL(), secret, send.Body(send.Payload{}))
	if err != nil || ans.Status != 503 {
		t.Fatalf("paused answered %v %v", ans, err)
	}
	f.a.SetPaused(false)
	ans, err = send.Signed(ctx, f.a.URL(), secret, send.Body(send.Payload{}))
	if err != nil || ans.Status != 200 {
		t.Fatalf("resumed answered %v %v", ans, err)
	}
}

func TestNoSecretAnswers503UntilSet(t *testing.T) {
	f := newApp(t, false)
	ctx := context.Background()
	st := f.a.Status(ctx)
	if st.State != app.StateError || !strings.Contains(st.Error, "secret") {
		t.Fatalf("status without secret: %+v", st)
	}
	body := send.Body(send.Payload{})
	ans, err := send.Signed(ctx, f.a.URL(), "anything", body)
	if err != nil || ans.Status != 503 {
		t.Fatalf("unconfigured answered %v %v", ans, err)
	}
	src, err := f.a.SetSecret(config.Current, secret)
	if err != nil || src != config.FromFile {
		t.Fatalf("SetSecret: %v %v", src, err)
	}
	fi, err := os.Stat(filepath.Join(f.dir, "secret.current"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	ans, err = send.Signed(ctx, f.a.URL(), secret, body)
	if err != nil || ans.Status != 200 {
		t.Fatalf("configured answered %v %v", ans, err)
	}
	if st := f.a.Status(ctx); st.State != app.StateListening {
		t.Errorf("state %s", st.State)
	}
}

func TestApplySettings(t *testing.T) {
	f := newApp(t, true)
	before, err := os.ReadFile(config.SettingsFile(f.dir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	v := f.a.Settings()
	bad := v.Saved
	bad.Listen = "no-port"
	bad.Path = "nope"
	err = f.a.ApplySettings(bad)
	var fe config.FieldErrors
	if !errors.As(err, &fe) || fe["listen"] == "" || fe["path"] == "" {
		t.Fatalf("invalid settings: %v", err)
	}
	// IP Fabric's address is checked by IP Fabric's rules, with the same
	// field error the Settings form shows.
	badURL := v.Saved
	badURL.IPFURL = "ftp://ipf.example.com"
	err = f.a.ApplySettings(badURL)
	if !errors.As(err, &fe) || !strings.Contains(fe["ipf_url"], "https://") {
		t.Fatalf("bad IP Fabric URL: %v", err)
	}
	after, _ := os.ReadFile(config.SettingsFile(f.dir))
	if !bytes.Equal(before, after) {
		t.Errorf("invalid settings were saved")
	}

	// A valid change applies without a restart: a new path, and (the
	// listen address is fixed by an override here) the handler follows.
	good := v.Saved
	good.Path = "/hooks/ipf"
	good.MaxAge = config.Duration(2 * time.Hour)
	if err := f.a.ApplySettings(good); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(f.a.URL(), "/hooks/ipf") {
		t.Fatalf("URL %s", f.a.URL())
	}
	ans, err := send.Signed(context.Background(), f.a.URL(), secret, send.Body(send.Payload{}))
	if err != nil || ans.Status != 200 {
		t.Fatalf("after path change: %v %v", ans, err)
	}
	// The remediation runner's limit follows too.
	more := good
	more.MaxConcurrentRuns = 5
	if err := f.a.ApplySettings(more); err != nil {
		t.Fatal(err)
	}
	if got := f.a.Remediation().MaxConcurrent(); got != 5 {
		t.Errorf("runs at once after Settings: %d, want 5", got)
	}
	saved, err := config.LoadSettings(config.SettingsFile(f.dir))
	if err != nil || saved.Path != "/hooks/ipf" || saved.MaxAge != config.Duration(2*time.Hour) {
		t.Errorf("saved %+v %v", saved, err)
	}
}

func TestRebindOnListenChange(t *testing.T) {
	dir := t.TempDir()
	a, err := app.Open(app.Options{DataDir: dir, Sender: &recorder{}, NoRunner: true, Logger: quietLogger(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	s := a.Settings().Saved
	s.Listen = "127.0.0.1:0"
	if err := a.ApplySettings(s); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := a.Addr()
	if first == "" {
		t.Fatal("not listening")
	}
	// Listening again on a port of our choosing moves the listener there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	if err := a.ApplySettings(s); err != nil {
		t.Fatal(err)
	}
	if got := a.Addr(); got != s.Listen {
		t.Fatalf("after rebind listening on %s, want %s", got, s.Listen)
	}
	resp, err := http.Get("http://" + s.Listen + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz on the new address: %d", resp.StatusCode)
	}
}

func TestBindErrorIsAState(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	a, err := app.Open(app.Options{DataDir: t.TempDir(), Overrides: config.Overrides{Listen: ptr(ln.Addr().String())},
		Sender: &recorder{}, NoRunner: true, Logger: quietLogger(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	a.SetSecret(config.Current, secret)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := a.Status(context.Background())
	if st.State != app.StateError || st.Error != "port "+port+" in use" {
		t.Errorf("status %+v", st)
	}
}

// TestSecretNeverWritten checks the database file, its WAL and the logs for
// the secret after accepted and refused deliveries.
func TestSecretNeverWritten(t *testing.T) {
	f := newApp(t, true)
	ctx := context.Background()
	body := send.Body(send.Payload{})
	send.Signed(ctx, f.a.URL(), secret, body)
	send.Do(ctx, nil, f.a.URL(), body, listener.Sign(body, secret+"x"))
	send.Do(ctx, nil, f.a.URL(), []byte(`{"type":"snapshot","timestamp":1,"note":"`+secret[:4]+`"}`), "00")
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := f.a.Shutdown(ctx2); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ipfwatch.db", "ipfwatch.db-wal"} {
		b, err := os.ReadFile(filepath.Join(f.dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("secret found in %s", name)
		}
		// The signature we computed (over the refused body, with our secret)
		// must not be kept either: only the one received is.
		if bytes.Contains(b, []byte(listener.Sign(body, secret))) {
			t.Errorf("computed signature in %s", name)
		}
	}
	if strings.Contains(f.logs.String(), secret) {
		t.Errorf("secret in logs")
	}
}

// BenchmarkHandlerPath measures the whole delivery path over loopback HTTP:
// signature, parse, de-duplicate, group commit, answer. Each delivery is a
// distinct event, so each is committed. Sixteen senders on a 2-core machine
// (SetParallelism(8) per GOMAXPROCS), as in `make load`, so group commit has
// company to batch.
func BenchmarkHandlerPath(b *testing.B) {
	f := newApp(b, true)
	url := f.a.URL()
	var seq atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := send.Body(send.Payload{SnapshotID: fmt.Sprintf("bench-%d", seq.Add(1))})
			ans, err := send.Do(context.Background(), client, url, body, listener.Sign(body, secret))
			if err != nil || ans.Status != 200 {
				b.Fatalf("%v %v", ans, err)
			}
		}
	})
}

// TestSecretFileChangeApplies: a secret stored by another process (the
// `ipfwatch secret` command writes the 0600 file) is in force in a running
// app within seconds, without a restart.
func TestSecretFileChangeApplies(t *testing.T) {
	f := newApp(t, true)
	sub := f.a.Subscribe()
	defer sub.Close()
	other := config.NewSecretStore(f.dir, false)
	if _, err := other.Set(config.Current, "rotated-by-cli"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ans, err := send.Signed(context.Background(), f.a.URL(), "rotated-by-cli", send.Body(send.Payload{}))
		if err == nil && ans.Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new secret not in force after 15 s: %v %v", ans, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
