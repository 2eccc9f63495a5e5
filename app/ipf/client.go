package ipf

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Options tunes a Client; the zero value gives the product's settings.
type Options struct {
	// Timeout bounds each call, from sending the request to reading the whole
	// answer; 0 means 15 s. Waiting for a free slot (see MaxInFlight) does not
	// count against it.
	Timeout time.Duration
	// MaxInFlight caps the calls in flight at once, so ipfwatch never loads
	// IP Fabric with more than a couple of requests; 0 means 2.
	MaxInFlight int
	// Logger receives one debug line per call (method, path, status,
	// duration; never the token). Nil means slog.Default().
	Logger *slog.Logger
	// UserAgent is sent with every request; empty means "ipfwatch".
	UserAgent string
}

// DefaultTimeout is the per-call timeout when Options.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// maxBody bounds an answer read into memory; a table page of 1000 rows or the
// reports of a large snapshot are a few megabytes.
const maxBody = 64 << 20

// Client talks to one IP Fabric. It is safe for concurrent use; calls share
// one keep-alive transport and at most Options.MaxInFlight run at once.
type Client struct {
	base    *url.URL
	addr    string // host:port, for errors
	token   string
	http    *http.Client
	tr      *http.Transport
	sem     chan struct{}
	timeout time.Duration
	log     *slog.Logger
	agent   string

	verLock chan struct{} // held while reading /api/version
	version atomic.Pointer[VersionInfo]
}

// VersionInfo is what GET /api/version says.
type VersionInfo struct {
	APIVersion string `json:"api_version"` // e.g. v7.0, used as the URL prefix
	Release    string `json:"release"`     // e.g. 7.0.15+2
}

// Info is what TestConnection learns.
type Info struct {
	Release    string `json:"release"`     // IP Fabric's release, e.g. 7.0.15+2
	APIVersion string `json:"api_version"` // the API version the client uses, e.g. v7.0
	Username   string `json:"username"`    // the user the token belongs to
}

// New checks cfg and returns a client for it. It makes no call: use
// TestConnection to check the address, certificate and token.
func New(cfg Config, opts Options) (*Client, error) {
	base, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if err := checkToken(cfg.Token); err != nil {
		return nil, err
	}
	mode, pemPath := ParseVerify(cfg.Verify)
	tlsCfg, err := tlsConfig(mode, pemPath, base.Hostname())
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "ipfwatch"
	}
	port := base.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[base.Scheme]
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   opts.Timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          opts.MaxInFlight,
		MaxIdleConnsPerHost:   opts.MaxInFlight,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c := &Client{
		base:  base,
		addr:  net.JoinHostPort(base.Hostname(), port),
		token: cfg.Token,
		tr:    tr,
		http: &http.Client{
			Transport: tr,
			// Never follow a redirect: the token must only go to IPF_URL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sem:     make(chan struct{}, opts.MaxInFlight),
		timeout: opts.Timeout,
		log:     opts.Logger,
		agent:   opts.UserAgent,
		verLock: make(chan struct{}, 1),
	}
	return c, nil
}

// BaseURL is IP Fabric's address, scheme://host[:port], the base of the web
// UI links (see SnapshotURL and CheckURL).
func (c *Client) BaseURL() string { return c.base.String() }

// Close drops the client's idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// TestConnection reads IP Fabric's version (GET /api/version, no token) and
// checks the token (GET /api/{v}/users/me). It is what "Test connection" in
// the UI and `ipfwatch ipf check` run.
func (c *Client) TestConnection(ctx context.Context) (Info, error) {
	v, err := c.readVersion(ctx)
	if err != nil {
		return Info{}, err
	}
	resp, err := c.api(ctx, http.MethodGet, "/users/me", nil, nil)
	if err != nil {
		return Info{}, err
	}
	if err := c.statusErr(resp); err != nil {
		return Info{}, err
	}
	me, err := c.decode(resp)
	if err != nil {
		return Info{}, err
	}
	m := obj(me)
	if m == nil {
		return Info{}, c.badShape(resp, "expected a JSON object describing the user")
	}
	return Info{Release: v.Release, APIVersion: resp.version, Username: str(m["username"])}, nil
}

// Version returns IP Fabric's API version and release, reading /api/version
// the first time and after a 410.
func (c *Client) Version(ctx context.Context) (VersionInfo, error) {
	if v := c.version.Load(); v != nil {
		return *v, nil
	}
	return c.readVersion(ctx)
}

var apiVersionRE = regexp.MustCompile(`^v\d+(\.\d+)?$`)

// readVersion asks GET /api/version (without the token, which it does not
// need) and remembers the answer. One reader at a time: concurrent callers
// wait and then share its answer.
func (c *Client) readVersion(ctx context.Context) (VersionInfo, error) {
	select {
	case c.verLock <- struct{}{}:
	case <-ctx.Done():
		return VersionInfo{}, fmt.Errorf("reading IP Fabric's version: %w", ctx.Err())
	}
	defer func() { <-c.verLock }()
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/api/version"})
	if err != nil {
		return VersionInfo{}, err
	}
	if err := c.statusErr(resp); err != nil {
		return VersionInfo{}, err
	}
	body, err := c.decode(resp)
	if err != nil {
		return VersionInfo{}, err
	}
	m := obj(body)
	v := VersionInfo{APIVersion: strings.TrimSpace(str(m["apiVersion"])), Release: str(m["releaseVersion"])}
	if !apiVersionRE.MatchString(v.APIVersion) {
		return VersionInfo{}, c.badShape(resp, fmt.Sprintf("apiVersion is %q, not like v7.0", clean(v.APIVersion, c.token)))
	}
	c.version.Store(&v)
	return v, nil
}

// request is one call: path is the full URL path, e.g. /api/v7.0/reports.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	auth   bool
}

// response is a call's answer, read whole.
type response struct {
	method, path string
	version      string // API version used, for versioned calls
	status       int
	header       http.Header
	body         []byte
}

// api makes a versioned, authenticated call to /api/{v}{route}. On a 410 it
// re-reads /api/version once and retries if the version changed (IP Fabric
// was upgraded while ipfwatch ran); otherwise the 410 is the caller's to
// turn into an UnsupportedVersionError.
func (c *Client) api(ctx context.Context, method, route string, query url.Values, body any) (*response, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, request{method: method, path: "/api/" + v.APIVersion + route, query: query, body: body, auth: true})
		if err != nil {
			return nil, err
		}
		resp.version = v.APIVersion
		if resp.status != http.StatusGone || attempt > 0 {
			return resp, nil
		}
		nv, err := c.readVersion(ctx)
		if err != nil || nv.APIVersion == v.APIVersion {
			return resp, nil
		}
		v = nv
	}
}

// send makes one HTTP exchange under the in-flight cap and the per-call
// timeout, and classifies transport failures.
func (c *Client) send(ctx context.Context, r request) (*response, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("IP Fabric call %s %s: %w", r.method, r.path, ctx.Err())
	}
	defer func() { <-c.sem }()

	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var connected atomic.Bool
	cctx = httptrace.WithClientTrace(cctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})

	u := *c.base
	u.Path = r.path
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("encoding the request for %s %s: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building the request for %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.auth {
		req.Header.Set("X-API-Token", c.token)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportErr(ctx, cctx, r, err, connected.Load())
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, c.transportErr(ctx, cctx, r, err, true)
	}
	if cctx.Err() != nil {
		// An answer can race the cancel or the deadline; the call is over.
		return nil, c.transportErr(ctx, cctx, r, cctx.Err(), true)
	}
	c.log.Debug("IP Fabric call", "method", r.method, "path", r.path, "status", resp.StatusCode, "took", time.Since(start).Round(time.Millisecond))
	if len(data) > maxBody {
		return nil, &BadResponseError{Method: r.method, Path: r.path, Problem: fmt.Sprintf("the answer is larger than %d MiB", maxBody>>20)}
	}
	return &response{method: r.method, path: r.path, status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// transportErr turns a failed exchange into a typed error. ctx is the
// caller's context, cctx the call's (with the timeout).
func (c *Client) transportErr(ctx, cctx context.Context, r request, err error, connected bool) error {
	if ctx.Err() != nil {
		return fmt.Errorf("IP Fabric call %s %s: %w", r.method, r.path, ctx.Err())
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return &TLSError{Addr: c.addr, Reason: describeX509(cve.Err), Chain: cve.UnverifiedCertificates, Err: err}
	}
	var te *trustError
	if errors.As(err, &te) {
		return &TLSError{Addr: c.addr, Reason: te.reason, Chain: te.chain, Err: err}
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		if connected {
			return &TimeoutError{Method: r.method, Path: r.path, After: c.timeout}
		}
		return &UnreachableError{Addr: c.addr, Reason: fmt.Sprintf("no answer within %s while connecting", c.timeout), Err: err}
	}
	return &UnreachableError{Addr: c.addr, Reason: connectReason(err, connected), Err: err}
}

// connectReason says in plain words why a connection failed.
func connectReason(err error, connected bool) string {
	var dnsErr *net.DNSError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("the name %s does not resolve", dnsErr.Name)
		}
		return fmt.Sprintf("looking up %s failed: %v", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens on that port)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to that address"
	case errors.Is(err, http.ErrSchemeMismatch):
		return "it answers plain HTTP on that port: use http:// in IPF_URL, or the HTTPS port"
	case errors.As(err, &rh):
		return "it does not speak TLS on that port"
	case errors.As(err, &alert):
		return "the TLS handshake failed: " + alert.Error()
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if connected {
			return "IP Fabric closed the connection before answering"
		}
		return "the connection was closed during the handshake"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "no answer in time"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// statusErr turns a non-2xx answer into a typed error; calls handle the
// statuses they give a meaning to (404, 422) before calling it.
func (c *Client) statusErr(r *response) error {
	if r.status >= 200 && r.status < 300 {
		return nil
	}
	code, msg := c.errorMessage(r)
	switch {
	case r.status == http.StatusUnauthorized:
		return &AuthError{Code: code, Message: msg}
	case r.status == http.StatusForbidden:
		return &ForbiddenError{Method: r.method, Path: r.path, Code: code, Message: msg}
	case r.status == http.StatusGone:
		m := obj(c.quietDecode(r))
		return &UnsupportedVersionError{Used: r.version, Release: clean(str(m["release_version"]), c.token),
			APIVersion: clean(str(m["api_version"]), c.token), Message: msg}
	case r.status >= 300 && r.status < 400:
		return &RedirectError{Method: r.method, Path: r.path, Status: r.status, Location: clean(r.header.Get("Location"), c.token)}
	case r.status >= 500:
		return &ServerError{Answer{Method: r.method, Path: r.path, Status: r.status, Message: msg}}
	}
	return &StatusError{Answer{Method: r.method, Path: r.path, Status: r.status, Message: msg}}
}

// errorMessage picks IP Fabric's code and message out of an error answer:
// {"code","message"} or {"errors":[{"message"}]}, else a snippet of the body.
func (c *Client) errorMessage(r *response) (code, msg string) {
	m := obj(c.quietDecode(r))
	if m == nil {
		return "", clean(string(r.body), c.token)
	}
	code = clean(str(m["code"]), c.token)
	msg = str(m["message"])
	if msg == "" {
		var parts []string
		for _, e := range list(m["errors"]) {
			if s := str(obj(e)["message"]); s != "" {
				parts = append(parts, s)
			}
		}
		msg = strings.Join(parts, "; ")
	}
	return code, clean(msg, c.token)
}

func (c *Client) quietDecode(r *response) any {
	v, _ := decodeJSON(r.body)
	return v
}

// decode parses a 2xx answer's JSON.
func (c *Client) decode(r *response) (any, error) {
	v, err := decodeJSON(r.body)
	if err != nil {
		return nil, &BadResponseError{Method: r.method, Path: r.path, Problem: "it is not valid JSON (" + err.Error() + "): " + clean(string(r.body), c.token), Err: err}
	}
	return v, nil
}

func (c *Client) badShape(r *response, problem string) error {
	return &BadResponseError{Method: r.method, Path: r.path, Problem: problem}
}

// clean makes server-provided text fit for an error: the token removed,
// control characters flattened, and at most 200 characters.
func clean(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, "[token]")
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
