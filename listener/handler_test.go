package listener_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// t0 is the test clock's start; events in the tests happen at t0.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recSink records what the handler hands over and de-duplicates by key, the
// way the real store does, so answers can be checked end to end.
type recSink struct {
	mu         sync.Mutex
	deliveries []webhook.Event
	rejections []webhook.Rejection
	ids        map[string]int64
	acceptErr  error
	panicMsg   string
}

func (s *recSink) Accept(_ context.Context, d webhook.Event) (listener.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panicMsg != "" {
		panic(s.panicMsg)
	}
	if s.acceptErr != nil {
		return listener.Result{}, s.acceptErr
	}
	if s.ids == nil {
		s.ids = map[string]int64{}
	}
	s.deliveries = append(s.deliveries, d)
	if id, ok := s.ids[d.Key]; ok {
		return listener.Result{ID: id, Duplicate: true}, nil
	}
	id := int64(len(s.ids) + 1)
	s.ids[d.Key] = id
	return listener.Result{ID: id}, nil
}

func (s *recSink) set(acceptErr error, panicMsg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptErr, s.panicMsg = acceptErr, panicMsg
}

func (s *recSink) Reject(_ context.Context, r webhook.Rejection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejections = append(s.rejections, r)
}

func (s *recSink) Rejections() []webhook.Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]webhook.Rejection(nil), s.rejections...)
}

func (s *recSink) Deliveries() []webhook.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]webhook.Event(nil), s.deliveries...)
}

// syncBuffer is a log destination safe for the handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type fixture struct {
	srv   *httptest.Server
	h     *listener.Handler
	sink  *recSink
	clock *clock
	logs  *syncBuffer
	// secrets and paused are read by the handler through Config funcs.
	mu      sync.Mutex
	secrets listener.SecretSet
	paused  bool
}

func (f *fixture) setSecrets(s listener.SecretSet) { f.mu.Lock(); f.secrets = s; f.mu.Unlock() }
func (f *fixture) setPaused(p bool)                { f.mu.Lock(); f.paused = p; f.mu.Unlock() }

// newFixture starts a real HTTP server on loopback around a handler with the
// current secret set, a 1 hour max age and a fixed clock. edit may change the
// config before the handler is built.
func newFixture(t *testing.T, edit func(*listener.Config)) *fixture {
	t.Helper()
	f := &fixture{sink: &recSink{}, clock: &clock{now: t0}, logs: &syncBuffer{},
		secrets: listener.SecretSet{Current: curSecret, Previous: prevSecret}}
	cfg := listener.Config{
		MaxAge: time.Hour,
		Secrets: func() listener.SecretSet {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.secrets
		},
		Paused: func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.paused
		},
		Now:    f.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	f.h = listener.NewHandler(cfg, f.sink)
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	return f
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends one request; headers are set verbatim (not canonicalised) so
// header casing on the wire is what the test says.
func (f *fixture) do(t *testing.T, method, path string, body []byte, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("answer %d is not a JSON object: %q", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	return r
}

// post sends body signed with secret (unsigned when secret is "").
func (f *fixture) post(t *testing.T, body []byte, secret string) response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json", "User-Agent": "IPF-Webhook/7.2"}
	if secret != "" {
		h["X-IPF-Signature"] = listener.Sign(body, secret)
	}
	return f.do(t, http.MethodPost, "/ipfabric", body, h)
}

func event(status string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"type":"snapshot","action":"discover","status":%q,"requester":"cron","snapshot":{"id":"s-1"},"timestamp":%d}`,
		status, at.UnixMilli())
}

func TestHandlerAnswers(t *testing.T) {
	valid := event("completed", t0)
	tests := []struct {
		name       string
		setup      func(*fixture)
		edit       func(*listener.Config)
		method     string
		path       string
		body       []byte
		headers    map[string]string
		wantStatus int
		wantBody   map[string]any
		wantHeader map[string]string
		// wantReason is the recorded Rejection's Reason; "" means nothing
		// may be recorded.
		wantReason string
		wantHint   string
		wantStored int
	}{
		{
			name: "valid delivery", body: valid, headers: signed(valid, curSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "signed with the previous secret", body: valid, headers: signed(valid, prevSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "header in lower case with sha256= prefix", body: valid,
			headers:    map[string]string{"x-ipf-signature": "sha256=" + listener.Sign(valid, curSecret)},
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "unsigned", body: valid, headers: map[string]string{},
			wantStatus: 400, wantBody: map[string]any{"result": "Invalid message signature"},
			wantReason: "Invalid message signature", wantHint: "header missing",
		},
		{
			name: "wrong secret", body: valid, headers: signed(valid, "guess"),
			wantStatus: 400, wantBody: map[string]any{"result": "Invalid message signature"},
			wantReason: "Invalid message signature",
		},
		{
			name: "tampered body", body: event("failed", t0), headers: signed(valid, curSecret),
			wantStatus: 400, wantBody: map[string]any{"result": "Invalid message signature"},
			wantReason: "Invalid message signature",
		},
		{
			name: "newline appended after signing", body: append(append([]byte{}, valid...), '\n'), headers: signed(valid, curSecret),
			wantStatus: 400, wantBody: map[string]any{"result": "Invalid message signature"},
			wantReason: "Invalid message signature", wantHint: "signature of the body without its trailing newline",
		},
		{
			name: "previous secret after its end", body: valid, headers: signed(valid, prevSecret),
			setup: func(f *fixture) {
				f.setSecrets(listener.SecretSet{Current: curSecret, Previous: prevSecret, PreviousUntil: t0.Add(-time.Minute)})
			},
			wantStatus: 400, wantBody: map[string]any{"result": "Invalid message signature"},
			wantReason: "Invalid message signature", wantHint: "matches the previous secret",
		},
		{
			name: "body over the limit is refused before the signature", edit: func(c *listener.Config) { c.MaxBody = 1024 },
			body: bytes.Repeat([]byte("x"), 1025), headers: map[string]string{},
			wantStatus: 413, wantBody: map[string]any{"result": "Payload too large"},
			wantReason: "Payload too large", wantHint: "body exceeds 1024 bytes",
		},
		{
			name: "body exactly at the limit", edit: func(c *listener.Config) { c.MaxBody = int64(len(valid)) },
			body: valid, headers: signed(valid, curSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "signed array", body: []byte(`[1,2]`), headers: signed([]byte(`[1,2]`), curSecret),
			wantStatus: 422, wantBody: map[string]any{"result": "Invalid payload", "field": "(body)", "reason": "not a JSON object"},
			wantReason: "Invalid payload", wantHint: "(body): not a JSON object",
		},
		{
			name: "signed body without timestamp", body: []byte(`{"type":"snapshot"}`), headers: signed([]byte(`{"type":"snapshot"}`), curSecret),
			wantStatus: 422, wantBody: map[string]any{"result": "Invalid payload", "field": "timestamp", "reason": "missing"},
			wantReason: "Invalid payload", wantHint: "timestamp: missing",
		},
		{
			name: "unsigned garbage is a signature failure, not a payload one", body: []byte(`{{{`), headers: map[string]string{},
			wantStatus: 400, wantBody: map[string]any{"result": "Invalid message signature"},
			wantReason: "Invalid message signature", wantHint: "header missing",
		},
		{
			name: "unknown type from a signed sender is stored", body: []byte(`{"type":"new-thing","timestamp":1748779200000}`),
			headers:    signed([]byte(`{"type":"new-thing","timestamp":1748779200000}`), curSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "event two hours old", body: event("completed", t0.Add(-2*time.Hour)), headers: signed(event("completed", t0.Add(-2*time.Hour)), curSecret),
			wantStatus: 400, wantBody: map[string]any{"result": "Stale timestamp", "reason": "event is 2h0m0s old (max age 1h0m0s)"},
			wantReason: "Stale timestamp", wantHint: "event is 2h0m0s old (max age 1h0m0s)",
		},
		{
			name: "old event with the age check off", edit: func(c *listener.Config) { c.MaxAge = 0 },
			body: event("completed", t0.Add(-48*time.Hour)), headers: signed(event("completed", t0.Add(-48*time.Hour)), curSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "event ten minutes ahead", body: event("completed", t0.Add(10*time.Minute)), headers: signed(event("completed", t0.Add(10*time.Minute)), curSecret),
			wantStatus: 400, wantBody: map[string]any{"result": "Stale timestamp", "reason": "event is 10m0s in the future (max 5m0s)"},
			wantReason: "Stale timestamp", wantHint: "event is 10m0s in the future (max 5m0s)",
		},
		{
			name: "event four minutes ahead is fine", body: event("completed", t0.Add(4*time.Minute)), headers: signed(event("completed", t0.Add(4*time.Minute)), curSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "other path", path: "/ipfabric/x", body: valid, headers: signed(valid, curSecret),
			wantStatus: 404, wantBody: map[string]any{"result": "Not found"},
		},
		{
			name: "root path", method: http.MethodGet, path: "/",
			wantStatus: 404, wantBody: map[string]any{"result": "Not found"},
		},
		{
			name: "GET on the webhook path", method: http.MethodGet,
			wantStatus: 405, wantBody: map[string]any{"result": "Method not allowed"}, wantHeader: map[string]string{"Allow": "POST"},
			wantReason: "Method not allowed",
		},
		{
			name: "PUT on the webhook path", method: http.MethodPut, body: valid, headers: signed(valid, curSecret),
			wantStatus: 405, wantBody: map[string]any{"result": "Method not allowed"}, wantHeader: map[string]string{"Allow": "POST"},
			wantReason: "Method not allowed",
		},
		{
			name: "configured path", edit: func(c *listener.Config) { c.Path = "/hooks/ipf" }, path: "/hooks/ipf",
			body: valid, headers: signed(valid, curSecret),
			wantStatus: 200, wantBody: map[string]any{"result": "ok", "id": 1.0}, wantStored: 1,
		},
		{
			name: "no secret configured", setup: func(f *fixture) { f.setSecrets(listener.SecretSet{}) },
			body: valid, headers: signed(valid, curSecret),
			wantStatus: 503, wantBody: map[string]any{"result": "Webhook secret not configured"},
			wantHeader: map[string]string{"Retry-After": "60"}, wantReason: "Webhook secret not configured",
		},
		{
			name:  "no secret wins over paused",
			setup: func(f *fixture) { f.setSecrets(listener.SecretSet{}); f.setPaused(true) },
			body:  valid, headers: signed(valid, curSecret),
			wantStatus: 503, wantBody: map[string]any{"result": "Webhook secret not configured"},
			wantReason: "Webhook secret not configured",
		},
		{
			name: "paused: refused, not recorded", setup: func(f *fixture) { f.setPaused(true) },
			body: valid, headers: signed(valid, curSecret),
			wantStatus: 503, wantBody: map[string]any{"result": "Listening paused"},
		},
		{
			name: "paused with a bad signature: still just paused", setup: func(f *fixture) { f.setPaused(true) },
			body: valid, headers: signed(valid, "guess"),
			wantStatus: 503, wantBody: map[string]any{"result": "Listening paused"},
		},
		{
			name: "store cannot commit", setup: func(f *fixture) { f.sink.set(errors.New("disk I/O error"), "") },
			body: valid, headers: signed(valid, curSecret),
			wantStatus: 503, wantBody: map[string]any{"result": "Store unavailable"},
		},
		{
			name: "healthz", method: http.MethodGet, path: "/healthz",
			wantStatus: 200, wantBody: map[string]any{"status": "ok", "listener": "listening", "reason": ""},
		},
		{
			name: "healthz while paused", method: http.MethodGet, path: "/healthz", setup: func(f *fixture) { f.setPaused(true) },
			wantStatus: 200, wantBody: map[string]any{"status": "ok", "listener": "paused",
				"reason": "listening paused: every delivery is answered 503 until it is resumed"},
		},
		{
			name: "healthz unconfigured", method: http.MethodGet, path: "/healthz", setup: func(f *fixture) { f.setSecrets(listener.SecretSet{}) },
			wantStatus: 200, wantBody: map[string]any{"status": "ok", "listener": "unconfigured",
				"reason": "no webhook secret configured: every delivery is answered 503 until one is set"},
		},
		{
			name: "POST on healthz", method: http.MethodPost, path: "/healthz",
			wantStatus: 405, wantBody: map[string]any{"result": "Method not allowed"}, wantHeader: map[string]string{"Allow": "GET, HEAD"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.edit)
			if tt.setup != nil {
				tt.setup(f)
			}
			method, path := tt.method, tt.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/ipfabric"
			}
			r := f.do(t, method, path, tt.body, tt.headers)
			if r.status != tt.wantStatus || !reflect.DeepEqual(r.body, tt.wantBody) {
				t.Fatalf("answer %d %s, want %d %v", r.status, r.raw, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			rejs := f.sink.Rejections()
			switch {
			case tt.wantReason == "" && len(rejs) != 0:
				t.Errorf("recorded %+v, want no rejection", rejs)
			case tt.wantReason != "" && len(rejs) != 1:
				t.Errorf("recorded %d rejections, want 1", len(rejs))
			case tt.wantReason != "":
				if rejs[0].Reason != tt.wantReason || rejs[0].Hint != tt.wantHint || rejs[0].Status != tt.wantStatus {
					t.Errorf("rejection {%d %q %q}, want {%d %q %q}", rejs[0].Status, rejs[0].Reason, rejs[0].Hint,
						tt.wantStatus, tt.wantReason, tt.wantHint)
				}
			}
			if got := len(f.sink.Deliveries()); got != tt.wantStored && tt.wantStored > 0 {
				t.Errorf("stored %d deliveries, want %d", got, tt.wantStored)
			}
			st := f.h.Stats()
			if int(st.Accepted) != tt.wantStored || int(st.Rejected) != len(rejs) {
				t.Errorf("stats %+v, want %d accepted and %d rejected", st, tt.wantStored, len(rejs))
			}
		})
	}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func signed(body []byte, secret string) map[string]string {
	return map[string]string{"X-IPF-Signature": listener.Sign(body, secret)}
}

func TestHandlerDuplicate(t *testing.T) {
	f := newFixture(t, nil)
	a, b := event("completed", t0), event("failed", t0)
	// IP Fabric retries after 1, 2, 5 and 10 minutes.
	for i, step := range []struct {
		body   []byte
		result string
		id     float64
	}{{a, "ok", 1}, {a, "duplicate", 1}, {b, "ok", 2}, {a, "duplicate", 1}, {b, "duplicate", 2}} {
		r := f.post(t, step.body, curSecret)
		if r.status != 200 || r.body["result"] != step.result || r.body["id"] != step.id {
			t.Fatalf("step %d: %d %s, want 200 %s id %v", i, r.status, r.raw, step.result, step.id)
		}
		f.clock.Advance(time.Minute)
	}
	if st := f.h.Stats(); st.Accepted != 2 || st.Duplicates != 3 || st.Rejected != 0 {
		t.Fatalf("stats %+v, want 2 accepted, 3 duplicates", st)
	}
}

func TestHandlerDeliveryFields(t *testing.T) {
	f := newFixture(t, nil)
	body := []byte("{\"type\":\"intent-verification\",\"action\":\"calculate\",\"status\":\"completed\",\"requester\":\"cron\",\"reportId\":\"r-1\",\"snapshotId\":\"s-9\",\"timestamp\":1748779200000,\"x\":1}\n")
	r := f.do(t, http.MethodPost, "/ipfabric", body, map[string]string{
		"X-Ipf-Signature": listener.Sign(body, prevSecret), "User-Agent": "IPF-Webhook/7.2"})
	if r.status != 200 {
		t.Fatalf("answer %d %s", r.status, r.raw)
	}
	ds := f.sink.Deliveries()
	if len(ds) != 1 {
		t.Fatalf("got %d deliveries", len(ds))
	}
	d := ds[0]
	want := webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "cron",
		ReportIDs: []string{"r-1"}, SnapshotID: "s-9", TimestampMillis: 1748779200000, Unrecognised: []string{"field:x"}}
	if !reflect.DeepEqual(d.Payload, want) {
		t.Errorf("Payload = %+v, want %+v", d.Payload, want)
	}
	if !bytes.Equal(d.Body, body) {
		t.Errorf("Body = %q, want the raw body byte for byte", d.Body)
	}
	if d.BodySHA256 != sha256hex(body) {
		t.Errorf("BodySHA256 = %s", d.BodySHA256)
	}
	if d.Key != webhook.Key(want) || d.SecretMatched != "previous" || d.UserAgent != "IPF-Webhook/7.2" ||
		!d.ReceivedAt.Equal(t0) || !strings.HasPrefix(d.RemoteAddr, "127.0.0.1:") {
		t.Errorf("Delivery = %+v", d)
	}
}

func TestHandlerRejectionFields(t *testing.T) {
	f := newFixture(t, nil)
	body := bytes.Repeat([]byte("a"), 5000)
	longSig := strings.Repeat("ab", 200)
	r := f.do(t, http.MethodPost, "/ipfabric", body, map[string]string{
		"X-IPF-Signature": longSig,
		"User-Agent":      "curl/8.5",
		"Authorization":   "Bearer top-secret-token",
		"Cookie":          "session=abc",
		"X-Long":          strings.Repeat("é", 200), // 400 bytes, must be cut on a rune boundary
	})
	if r.status != 400 {
		t.Fatalf("answer %d %s", r.status, r.raw)
	}
	rejs := f.sink.Rejections()
	if len(rejs) != 1 {
		t.Fatalf("got %d rejections", len(rejs))
	}
	rej := rejs[0]
	if !rej.ReceivedAt.Equal(t0) || !strings.HasPrefix(rej.RemoteAddr, "127.0.0.1:") || rej.Method != "POST" ||
		rej.Path != "/ipfabric" || rej.UserAgent != "curl/8.5" || rej.Size != 5000 || rej.Status != 400 ||
		rej.Reason != "Invalid message signature" || rej.Hint != "wrong length" {
		t.Errorf("Rejection = %+v", rej)
	}
	if rej.Signature != longSig[:256] {
		t.Errorf("Signature = %q, want the header cut to 256 bytes", rej.Signature)
	}
	if rej.BodySHA256 != sha256hex(body) || !bytes.Equal(rej.BodyPreview, body[:4096]) {
		t.Errorf("BodySHA256 %s, preview %d bytes", rej.BodySHA256, len(rej.BodyPreview))
	}
	if _, ok := rej.Headers["Authorization"]; ok {
		t.Error("Authorization header recorded")
	}
	if _, ok := rej.Headers["Cookie"]; ok {
		t.Error("Cookie header recorded")
	}
	if rej.Headers["User-Agent"] != "curl/8.5" || rej.Headers["X-Long"] != strings.Repeat("é", 128) {
		t.Errorf("Headers = %v", rej.Headers)
	}
}

func TestHandlerThrottlesFailures(t *testing.T) {
	f := newFixture(t, func(c *listener.Config) { c.FailureBurst = 3 })
	bad := event("completed", t0)
	for i := range 3 {
		if r := f.post(t, bad, "guess"); r.status != 400 {
			t.Fatalf("failure %d: %d %s, want 400", i, r.status, r.raw)
		}
	}
	throttled := []func() response{
		func() response { return f.post(t, bad, "guess") },
		func() response { return f.post(t, bad, "") },
		func() response { return f.do(t, http.MethodGet, "/ipfabric", nil, nil) },
		func() response { return f.post(t, []byte(`[]`), curSecret) },
	}
	for i, send := range throttled {
		r := send()
		if r.status != 429 || r.body["result"] != "Too many failed deliveries" {
			t.Fatalf("throttled %d: %d %s, want 429", i, r.status, r.raw)
		}
	}
	// A correctly signed delivery from the same address still gets through.
	if r := f.post(t, bad, curSecret); r.status != 200 || r.body["result"] != "ok" {
		t.Fatalf("signed delivery while throttled: %d %s", r.status, r.raw)
	}
	if n := len(f.sink.Rejections()); n != 3 {
		t.Errorf("recorded %d rejections, want 3 (throttled ones are only counted)", n)
	}
	if st := f.h.Stats(); st.Throttled != 4 || st.Rejected != 3 || st.Accepted != 1 {
		t.Errorf("stats %+v", st)
	}
	if n := strings.Count(f.logs.String(), "throttling failed deliveries"); n != 1 {
		t.Errorf("logged throttling %d times, want once", n)
	}
	// The bucket refills at the default rate of one failure a second.
	f.clock.Advance(time.Second)
	if r := f.post(t, bad, "guess"); r.status != 400 {
		t.Fatalf("after refill: %d %s, want 400", r.status, r.raw)
	}
}

func TestHandlerCountsPausedAndStoreErrors(t *testing.T) {
	f := newFixture(t, nil)
	body := event("completed", t0)
	f.setPaused(true)
	f.post(t, body, curSecret)
	f.post(t, body, curSecret)
	f.setPaused(false)
	f.sink.set(errors.New("database is locked"), "")
	f.post(t, body, curSecret)
	if st := f.h.Stats(); st.Paused != 2 || st.StoreErrors != 1 || st.Accepted != 0 || st.Rejected != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(f.logs.String(), "database is locked") {
		t.Errorf("store error not logged: %s", f.logs)
	}
}

func TestHandlerLogsUnconfiguredOnceAMinute(t *testing.T) {
	f := newFixture(t, nil)
	f.setSecrets(listener.SecretSet{})
	body := event("completed", t0)
	const msg = "no webhook secret configured"
	count := func() int { return strings.Count(f.logs.String(), msg) }
	for range 3 {
		f.post(t, body, curSecret)
	}
	if count() != 1 {
		t.Fatalf("logged %d times in one minute, want 1:\n%s", count(), f.logs)
	}
	f.clock.Advance(61 * time.Second)
	f.post(t, body, curSecret)
	if count() != 2 {
		t.Fatalf("logged %d times after a minute, want 2", count())
	}
	if state, reason := f.h.State(); state != "unconfigured" || reason == "" {
		t.Fatalf("State = %q, %q", state, reason)
	}
}

func TestHandlerRecoversFromSinkPanic(t *testing.T) {
	f := newFixture(t, nil)
	f.sink.set(nil, "bug in the store")
	r := f.post(t, event("completed", t0), curSecret)
	if r.status != 500 || r.body["result"] != "Internal error" {
		t.Fatalf("answer %d %s, want 500", r.status, r.raw)
	}
	if !strings.Contains(f.logs.String(), "bug in the store") {
		t.Errorf("panic not logged")
	}
	if r := f.do(t, http.MethodGet, "/healthz", nil, nil); r.status != 200 {
		t.Fatalf("server unusable after a panic: %d", r.status)
	}
}

// TestHandlerNeverFailsOnClientInput sends odd requests; none may produce a
// 5xx while the listener is configured and the store works.
func TestHandlerNeverFailsOnClientInput(t *testing.T) {
	f := newFixture(t, func(c *listener.Config) { c.FailureBurst = 1000 })
	bodies := [][]byte{nil, {0}, {0xff, 0xfe}, []byte("{"), []byte(`{"type":"snapshot","timestamp":1e400}`),
		[]byte(`{"type":"snapshot","timestamp":-0}`), []byte(`{"type":{"a":[[[[]]]]},"timestamp":1}`),
		[]byte(strings.Repeat("[", 100000)), []byte(`{"type":"a","timestamp":1748779200000,"snapshot":{"id":"\ud800"}}`),
		[]byte(`{"type":"snapshot","timestamp":1748779200000,"reportId":[` + strings.Repeat(`"x",`, 1000) + `"y"]}`)}
	sigs := []func([]byte) string{
		func([]byte) string { return "" },
		func(b []byte) string { return listener.Sign(b, curSecret) },
		func(b []byte) string { return "sha256=" + strings.ToUpper(listener.Sign(b, "x")) },
		func([]byte) string { return "sha256=sha256=; \t,é" },
		func([]byte) string { return strings.Repeat("0", 10000) },
	}
	for i, b := range bodies {
		for j, sig := range sigs {
			h := map[string]string{"Content-Type": "text/plain"}
			if s := sig(b); s != "" {
				h["X-IPF-Signature"] = s
			}
			r := f.do(t, http.MethodPost, "/ipfabric", b, h)
			if r.status >= 500 {
				t.Errorf("body %d, signature %d: %d %s", i, j, r.status, r.raw)
			}
		}
	}
}

// TestSecretNeverLeaks drives every kind of failure with known secrets and
// checks that neither secret nor any signature we computed over the received
// body reaches a Rejection, an answer or the log.
func TestSecretNeverLeaks(t *testing.T) {
	f := newFixture(t, func(c *listener.Config) { c.MaxBody = 4096; c.FailureBurst = 1000 })
	f.setSecrets(listener.SecretSet{Current: curSecret, Previous: prevSecret, PreviousUntil: t0.Add(-time.Hour)})
	valid := event("completed", t0)
	type req struct {
		body []byte
		sig  string
	}
	reqs := []req{
		{valid, ""},
		{valid, listener.Sign(valid, "guess")},
		{valid, strings.ToUpper(listener.Sign(valid, "guess"))},
		{valid, listener.Sign(valid, prevSecret)}, // previous secret, expired
		{append(append([]byte{}, valid...), '\n'), listener.Sign(valid, curSecret)},
		{valid, "zz"},
		{valid, listener.Sign(valid, curSecret)[:40]},
		{[]byte(`[]`), listener.Sign([]byte(`[]`), curSecret)},
		{event("completed", t0.Add(-3*time.Hour)), listener.Sign(event("completed", t0.Add(-3*time.Hour)), curSecret)},
		{bytes.Repeat([]byte("x"), 5000), ""},
	}
	var answers strings.Builder
	for _, rq := range reqs {
		h := map[string]string{}
		if rq.sig != "" {
			h["X-IPF-Signature"] = rq.sig
		}
		r := f.do(t, http.MethodPost, "/ipfabric", rq.body, h)
		answers.WriteString(r.raw)
	}
	f.setSecrets(listener.SecretSet{})
	answers.WriteString(f.do(t, http.MethodPost, "/ipfabric", valid, signed(valid, curSecret)).raw)
	answers.WriteString(f.do(t, http.MethodGet, "/healthz", nil, nil).raw)

	rejs := f.sink.Rejections()
	if len(rejs) != len(reqs)+1 {
		t.Fatalf("recorded %d rejections, want %d", len(rejs), len(reqs)+1)
	}
	for i, rej := range rejs {
		forbidden := []string{curSecret, prevSecret}
		if i < len(reqs) {
			forbidden = append(forbidden, computed(reqs[i].body, reqs[i].sig)...)
		}
		dump := fmt.Sprintf("%+v %s", rej, rej.BodyPreview)
		for _, s := range forbidden {
			if strings.Contains(strings.ToLower(dump), strings.ToLower(s)) {
				t.Errorf("rejection %d (%s / %s) contains a secret or computed signature", i, rej.Reason, rej.Hint)
			}
		}
	}
	everything := f.logs.String() + answers.String()
	for _, s := range []string{curSecret, prevSecret} {
		if strings.Contains(everything, s) {
			t.Errorf("log or answer contains the secret %q", s)
		}
	}
	for _, rq := range reqs {
		for _, s := range computed(rq.body, rq.sig) {
			if strings.Contains(strings.ToLower(everything), s) {
				t.Errorf("log or answer contains a computed signature")
			}
		}
	}
	if f.logs.String() == "" {
		t.Fatal("nothing was logged, so the check above proves nothing")
	}
}

// computed returns the signatures we compute for body that the sender did
// not send itself (a correctly signed delivery may be rejected later, for
// example as stale, and then its received signature is rightly recorded).
func computed(body []byte, sent string) []string {
	var out []string
	for _, secret := range []string{curSecret, prevSecret} {
		if s := listener.Sign(body, secret); !strings.EqualFold(s, sent) {
			out = append(out, s)
		}
	}
	return out
}

func TestNewServerIsHardened(t *testing.T) {
	s := listener.NewServer("127.0.0.1:0", http.NotFoundHandler())
	if s.ReadHeaderTimeout != 5*time.Second || s.ReadTimeout != 30*time.Second || s.WriteTimeout != 30*time.Second ||
		s.IdleTimeout != 120*time.Second || s.MaxHeaderBytes != 64<<10 || s.Addr != "127.0.0.1:0" {
		t.Fatalf("server %+v", s)
	}
}
