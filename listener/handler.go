package listener

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Reasons recorded in Rejection.Reason, and (except for the method and read
// errors) answered to the sender as "result".
const (
	ReasonTooLarge         = "Payload too large"
	ReasonUnconfigured     = "Webhook secret not configured"
	ReasonInvalidSignature = "Invalid message signature"
	ReasonInvalidPayload   = "Invalid payload"
	ReasonStale            = "Stale timestamp"
	ReasonMethodNotAllowed = "Method not allowed"
	ReasonUnreadable       = "Could not read body"
)

// Listener states reported by Handler.State and /healthz.
const (
	StateListening    = "listening"
	StatePaused       = "paused"
	StateUnconfigured = "unconfigured"
)

// Defaults applied by NewHandler to zero Config fields.
const (
	DefaultPath         = "/ipfabric"
	DefaultMaxBody      = 1 << 20
	DefaultMaxFuture    = 5 * time.Minute
	DefaultFailureRate  = rate.Limit(1)
	DefaultFailureBurst = 20
)

const (
	// Limits on what a Rejection carries, so that a flood of bad requests
	// costs a bounded amount of disk per row.
	maxSignatureLen = 256
	maxHeaderLen    = 256
	maxHeaders      = 50
	previewLen      = 4 << 10

	// The sink gets its own deadline, detached from the client's: a
	// delivery whose sender hung up is still committed (a retry is then a
	// duplicate) and its rejection still recorded.
	// A rejection's record is best effort and holds up the answer to a
	// client already refused, so its bound is short.
	acceptTimeout = 10 * time.Second
	rejectTimeout = 2 * time.Second

	// logEvery spaces out log lines that a misconfiguration or a flood
	// would otherwise repeat for every request.
	logEvery = time.Minute

	healthPath = "/healthz"
)

// Config is what the handler needs from outside. Functions rather than values
// are taken for what the engineer can change while ipfwatch runs.
type Config struct {
	Path      string        // webhook path, default "/ipfabric"
	MaxBody   int64         // largest accepted body in bytes, default 1 MiB
	MaxAge    time.Duration // events older than this are stale; 0 turns the check off
	MaxFuture time.Duration // events further ahead than this are stale, default 5m
	// Secrets is called for every request, so a rotated secret takes
	// effect at once. Nil means no secret: every delivery is refused.
	Secrets func() SecretSet
	Paused  func() bool      // nil means never paused
	Now     func() time.Time // nil means time.Now
	// FailureRate and FailureBurst shape the token bucket each remote
	// address draws from with every failed delivery; default 1/s, burst 20.
	FailureRate  rate.Limit
	FailureBurst int
	Logger       *slog.Logger // nil means slog.Default()
}

// Stats counts what the handler did since it was made. Accepted counts new
// events, Duplicates repeats of stored ones, Rejected the refusals handed to
// the sink, Throttled the failures answered 429 and not recorded, Paused the
// deliveries refused while paused, StoreErrors the deliveries answered 503
// because the sink could not commit them.
type Stats struct {
	Accepted    uint64
	Duplicates  uint64
	Rejected    uint64
	Throttled   uint64
	Paused      uint64
	StoreErrors uint64
}

// Handler is the webhook endpoint: POST on the configured path, GET /healthz,
// 404 elsewhere. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	sink    Sink
	log     *slog.Logger
	limiter *failureLimiter

	accepted, duplicates, rejected, throttled, paused, storeErrors atomic.Uint64

	// Unix nanoseconds of the last "unconfigured" and "throttling" log
	// lines; zero means never.
	lastUnconfiguredLog, lastThrottleLog atomic.Int64
}

// NewHandler returns a handler that hands accepted deliveries and rejections
// to sink, with the defaults applied to cfg's zero fields.
func NewHandler(cfg Config, sink Sink) *Handler {
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		cfg.Path = "/" + cfg.Path
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxFuture <= 0 {
		cfg.MaxFuture = DefaultMaxFuture
	}
	if cfg.Secrets == nil {
		cfg.Secrets = func() SecretSet { return SecretSet{} }
	}
	if cfg.Paused == nil {
		cfg.Paused = func() bool { return false }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FailureRate == 0 {
		cfg.FailureRate = DefaultFailureRate
	}
	if cfg.FailureBurst <= 0 {
		cfg.FailureBurst = DefaultFailureBurst
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{
		cfg:     cfg,
		sink:    sink,
		log:     cfg.Logger,
		limiter: newFailureLimiter(cfg.FailureRate, cfg.FailureBurst, defaultMaxLimiters),
	}
}

// State says whether deliveries are being accepted and, if not, why:
// "listening", "paused" or "unconfigured" (which wins over paused, as it does
// in the handler).
func (h *Handler) State() (state, reason string) {
	if h.cfg.Secrets().Current == "" {
		return StateUnconfigured, "no webhook secret configured: every delivery is answered 503 until one is set"
	}
	if h.cfg.Paused() {
		return StatePaused, "listening paused: every delivery is answered 503 until it is resumed"
	}
	return StateListening, ""
}

// Stats returns the counters as they are now.
func (h *Handler) Stats() Stats {
	return Stats{
		Accepted:    h.accepted.Load(),
		Duplicates:  h.duplicates.Load(),
		Rejected:    h.rejected.Load(),
		Throttled:   h.throttled.Load(),
		Paused:      h.paused.Load(),
		StoreErrors: h.storeErrors.Load(),
	}
}

// answer is every JSON body the handler writes to a webhook sender.
type answer struct {
	Result string `json:"result"`
	ID     *int64 `json:"id,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type health struct {
	Status   string `json:"status"`
	Listener string `json:"listener"`
	Reason   string `json:"reason"`
}

// ServeHTTP answers one request. Nothing a client sends leads to a 500: a
// panic can only be our own bug, and is logged and answered 500 rather than
// taking the process down.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("listener bug: panic while handling a request",
				"panic", fmt.Sprint(v), "method", r.Method, "path", r.URL.Path, "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, answer{Result: "Internal error"})
		}
	}()
	switch r.URL.Path {
	case h.cfg.Path:
		h.webhook(w, r)
	case healthPath:
		h.health(w, r)
	default:
		writeJSON(w, http.StatusNotFound, answer{Result: "Not found"})
	}
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, answer{Result: ReasonMethodNotAllowed})
		return
	}
	state, reason := h.State()
	writeJSON(w, http.StatusOK, health{Status: "ok", Listener: state, Reason: reason})
}

// webhook does the work in the order the design fixes: size limit,
// configuration, pause, signature over the raw bytes, payload, age, commit,
// answer.
func (h *Handler) webhook(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	rej := webhook.Rejection{
		ReceivedAt: now,
		RemoteAddr: r.RemoteAddr,
		Method:     r.Method,
		Path:       r.URL.Path,
		UserAgent:  r.UserAgent(),
		Signature:  truncate(r.Header.Get(SignatureHeader), maxSignatureLen),
		// Headers and a copy of the body preview are made in fail, only
		// for the deliveries that are refused.
	}
	if r.Method != http.MethodPost {
		h.fail(w, r, rej, http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "", answer{Result: ReasonMethodNotAllowed})
		return
	}

	body, err := readBody(w, r, h.cfg.MaxBody)
	rej.Size = int64(len(body))
	rej.BodyPreview = body[:min(len(body), previewLen)]
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			// The hash of a cut-off body would identify nothing.
			hint := "body exceeds " + strconv.FormatInt(h.cfg.MaxBody, 10) + " bytes"
			h.fail(w, r, rej, http.StatusRequestEntityTooLarge, ReasonTooLarge, hint, answer{Result: ReasonTooLarge})
			return
		}
		h.fail(w, r, rej, http.StatusBadRequest, ReasonUnreadable, err.Error(), answer{Result: ReasonUnreadable})
		return
	}
	sum := sha256.Sum256(body)
	rej.BodySHA256 = hex.EncodeToString(sum[:])

	secrets := h.cfg.Secrets()
	if secrets.Current == "" {
		h.logUnconfigured(r)
		w.Header().Set("Retry-After", "60")
		h.fail(w, r, rej, http.StatusServiceUnavailable, ReasonUnconfigured, "", answer{Result: ReasonUnconfigured})
		return
	}
	if h.cfg.Paused() {
		h.paused.Add(1)
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusServiceUnavailable, answer{Result: "Listening paused"})
		return
	}

	matched, err := Verify(body, r.Header.Get(SignatureHeader), secrets, now)
	if err != nil {
		se, ok := errors.AsType[*SignatureError](err)
		if !ok {
			se = &SignatureError{Reason: ReasonInvalidSignature}
		}
		h.fail(w, r, rej, http.StatusBadRequest, se.Reason, se.Hint, answer{Result: ReasonInvalidSignature})
		return
	}

	ev, err := webhook.Parse(body)
	if err != nil {
		pe, ok := errors.AsType[*webhook.PayloadError](err)
		if !ok {
			pe = &webhook.PayloadError{Field: webhook.BodyField, Reason: err.Error()}
		}
		h.fail(w, r, rej, http.StatusUnprocessableEntity, ReasonInvalidPayload, pe.Field+": "+pe.Reason,
			answer{Result: ReasonInvalidPayload, Field: pe.Field, Reason: pe.Reason})
		return
	}

	if why := h.stale(ev.Time(), now); why != "" {
		h.fail(w, r, rej, http.StatusBadRequest, ReasonStale, why, answer{Result: ReasonStale, Reason: why})
		return
	}

	d := webhook.Event{
		Payload:       ev,
		Body:          body,
		BodySHA256:    rej.BodySHA256,
		Key:           webhook.Key(ev),
		RemoteAddr:    r.RemoteAddr,
		UserAgent:     r.UserAgent(),
		ReceivedAt:    now,
		SecretMatched: matched,
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), acceptTimeout)
	defer cancel()
	res, err := h.sink.Accept(ctx, d)
	if err != nil {
		h.storeErrors.Add(1)
		h.log.Error("delivery not stored: answering 503 so IP Fabric retries",
			"remote", r.RemoteAddr, "type", ev.Type, "action", ev.Action, "status", ev.Status, "err", err)
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusServiceUnavailable, answer{Result: "Store unavailable"})
		return
	}
	result := "ok"
	if res.Duplicate {
		result = "duplicate"
		h.duplicates.Add(1)
	} else {
		h.accepted.Add(1)
	}
	// LogAttrs with typed attributes: the delivery path logs every
	// delivery, and boxing each value for Info's ...any showed in profiles.
	h.log.LogAttrs(ctx, slog.LevelInfo, "delivery accepted", slog.Int64("id", res.ID), slog.String("result", result),
		slog.String("remote", r.RemoteAddr), slog.String("type", ev.Type), slog.String("action", ev.Action),
		slog.String("status", ev.Status), slog.String("secret", matched))
	writeBody(w, http.StatusOK, acceptedBody(result, res.ID))
}

// acceptedBody is the JSON writeJSON would make of answer{Result: result,
// ID: &id}, built without reflection: it is the one answer of every
// accepted delivery, and result is "ok" or "duplicate", which need no
// escaping (TestAcceptedBodyIsTheAnswer holds the two equal).
func acceptedBody(result string, id int64) []byte {
	b := make([]byte, 0, 48)
	b = append(b, `{"result":"`...)
	b = append(b, result...)
	b = append(b, `","id":`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, "}\n"...)
}

// stale returns why an event at t is too old or too far ahead of now, or ""
// when it is within bounds.
func (h *Handler) stale(t, now time.Time) string {
	if h.cfg.MaxAge > 0 && now.Sub(t) > h.cfg.MaxAge {
		return fmt.Sprintf("event is %s old (max age %s)", now.Sub(t).Round(time.Second), h.cfg.MaxAge)
	}
	if t.Sub(now) > h.cfg.MaxFuture {
		return fmt.Sprintf("event is %s in the future (max %s)", t.Sub(now).Round(time.Second), h.cfg.MaxFuture)
	}
	return ""
}

// fail answers a failed delivery. Each failure draws a token from the
// sender's bucket; with none left the request is answered 429 and only
// counted, so a flood costs neither disk nor log lines.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rej webhook.Rejection, status int, reason, hint string, a answer) {
	if !h.limiter.allow(remoteHost(r.RemoteAddr), rej.ReceivedAt) {
		n := h.throttled.Add(1)
		if h.due(&h.lastThrottleLog, rej.ReceivedAt) {
			h.log.Warn("throttling failed deliveries; further ones are counted, not logged",
				"remote", r.RemoteAddr, "throttled_total", n)
		}
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusTooManyRequests, answer{Result: "Too many failed deliveries"})
		return
	}
	rej.Status, rej.Reason, rej.Hint = status, reason, hint
	rej.Headers = recordedHeaders(r.Header)
	rej.BodyPreview = bytes.Clone(rej.BodyPreview) // not the whole body's buffer
	h.rejected.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), rejectTimeout)
	defer cancel()
	h.sink.Reject(ctx, rej)
	h.log.Info("delivery rejected", "status", status, "reason", reason, "hint", hint,
		"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "size", rej.Size)
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, status, a)
}

// logUnconfigured says at most once a minute why deliveries are refused, so
// the engineer finds the cause without the log filling up.
func (h *Handler) logUnconfigured(r *http.Request) {
	if h.due(&h.lastUnconfiguredLog, h.cfg.Now()) {
		h.log.Warn("webhook delivery refused with 503: no webhook secret configured; IP Fabric will retry",
			"remote", r.RemoteAddr)
	}
}

// due reports whether a rate-limited log line may be written now, and if so
// records it, so that exactly one caller wins per interval.
func (h *Handler) due(last *atomic.Int64, now time.Time) bool {
	prev := last.Load()
	if prev != 0 && now.Sub(time.Unix(0, prev)) < logEvery {
		return false
	}
	return last.CompareAndSwap(prev, now.UnixNano())
}

// readBody reads at most limit bytes; beyond that it returns what it read
// and an *http.MaxBytesError, and the server closes the connection.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	defer rd.Close()
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength) + 1)
	}
	_, err := buf.ReadFrom(rd)
	return buf.Bytes(), err
}

// recordedHeaders returns up to maxHeaders request headers, one value each,
// truncated, without the ones that carry credentials.
func recordedHeaders(hdr http.Header) map[string]string {
	names := make([]string, 0, len(hdr))
	for name := range hdr {
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization", "Cookie":
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) > maxHeaders {
		names = names[:maxHeaders]
	}
	m := make(map[string]string, len(names))
	for _, name := range names {
		var v string
		if vs := hdr[name]; len(vs) > 0 {
			v = vs[0]
		}
		m[truncate(name, maxHeaderLen)] = truncate(v, maxHeaderLen)
	}
	return m
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own fixed types are written
		b = []byte(`{"result":"Internal error"}`)
		status = http.StatusInternalServerError
	}
	writeBody(w, status, append(b, '\n'))
}

// The headers of every answer, shared: net/http only reads them. Set by
// key, already canonical, to spare Header.Set's canonicalising per request.
var (
	jsonType  = []string{"application/json; charset=utf-8"}
	noSniff   = []string{"nosniff"}
	noStore   = []string{"no-store"}
	smallLens = func() (l [64][]string) {
		for i := range l {
			l[i] = []string{strconv.Itoa(i)}
		}
		return l
	}()
)

func writeBody(w http.ResponseWriter, status int, b []byte) {
	hdr := w.Header()
	hdr["Content-Type"] = jsonType
	if len(b) < len(smallLens) {
		hdr["Content-Length"] = smallLens[len(b)]
	} else {
		hdr["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	hdr["X-Content-Type-Options"] = noSniff
	hdr["Cache-Control"] = noStore
	w.WriteHeader(status)
	_, _ = w.Write(b) // a sender that hung up is not our error to handle
}
