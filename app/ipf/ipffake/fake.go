// Package ipffake is a fake IP Fabric for tests: a real HTTPS server on
// loopback, with its own certificate, serving the REST API subset in
// /work/shared/IPF_API.md with the shapes and quirks documented there
// (version prefixes and 410s, X-API-Token and its 401 codes, counts as
// strings, /v1/ prefixes, empty results, 422 for unknown columns, nested
// coloured cells). Tests set its data, turn on faults, and read back what was
// asked. It is imported by tests only.
package ipffake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a fake at start.
type Options struct {
	Token      string   // the one valid API token; default DefaultToken
	Username   string   // users/me username; default "admin"
	Release    string   // releaseVersion; default "7.0.15+2"
	APIVersion string   // apiVersion served; default "v7.0"
	Hosts      []string // certificate host names/IPs; default 127.0.0.1, ::1, localhost
	WithCA     bool     // sign the certificate with a generated CA (see CACert)
}

// DefaultToken is the token a fake accepts unless Options.Token says otherwise.
const DefaultToken = "ipffake-token-0123456789abcdef"

// Route names the API calls the fake serves, for faults and request records.
type Route string

// The routes of the subset.
const (
	RouteVersion       Route = "version"                     // GET /api/version
	RouteMe            Route = "users/me"                    // GET /api/{v}/users/me
	RouteSnapshots     Route = "snapshots"                   // GET /api/{v}/snapshots
	RouteSnapshot      Route = "snapshots/{id}"              // GET /api/{v}/snapshots/{id}
	RouteSnapshotTable Route = "tables/management/snapshots" // POST
	RouteReports       Route = "reports"                     // GET /api/{v}/reports?snapshot=
	RouteGroups        Route = "reports/groups"              // GET /api/{v}/reports/groups
	RouteTable         Route = "table"                       // POST /api/{v}/tables/... (check rows)
	RouteUnknown       Route = "unknown"
)

// Fault changes how one route answers.
type Fault struct {
	// Status answers with this status instead (with Body, or a small JSON
	// error); 0 keeps the normal answer unless Body is set.
	Status int
	// Body is sent raw instead of the normal answer (status Status, or 200).
	Body string
	// EchoHeaders appends the request's headers, X-API-Token included, to
	// the body, as a careless proxy or debug endpoint would.
	EchoHeaders bool
	// Delay waits this long before answering (less if the client gives up).
	Delay time.Duration
	// Hold blocks the answer until the channel is closed (or the client gives up).
	Hold <-chan struct{}
	// Times limits the fault to the route's next Times requests; 0 means
	// every request until cleared.
	Times int
}

// Knobs are the fake's behaviours a test can change at any time.
type Knobs struct {
	// StringCounts serves colour counts, result.count and device counts as
	// JSON strings ("21") instead of numbers.
	StringCounts bool
	// EndpointPrefix is put before every apiEndpoint in /reports: "/v1" as in
	// the docs (the default), "" as in newer exports.
	EndpointPrefix string
	// TokenExpired makes the valid token answer 401 API_EXPIRED_API_TOKEN.
	TokenExpired bool
	// AdvertiseVersion is the apiVersion /api/version claims, if not the
	// one served (to provoke 410s).
	AdvertiseVersion string
	// APIVersion and Release are what the fake serves; changing them mimics
	// an upgrade while the client runs.
	APIVersion, Release string
}

// Request is one request the fake received. The token itself is not kept:
// only whether one was sent and whether it was the valid one.
type Request struct {
	Method     string
	Path       string
	Query      string
	Route      Route
	HasToken   bool
	TokenValid bool
	Body       []byte // the JSON body of a POST
}

// Server is a running fake IP Fabric.
type Server struct {
	// URL is the base address, https://127.0.0.1:port.
	URL string
	// Addr is host:port.
	Addr string
	// Cert is the server's certificate; CertPEM the same as PEM.
	Cert    *x509.Certificate
	CertPEM []byte
	// CACert and CAPEM are the CA that signed Cert, with Options.WithCA.
	CACert *x509.Certificate
	CAPEM  []byte
	// Token is the valid API token.
	Token string

	username string
	srv      *httptest.Server
	done     chan struct{}
	stopOnce sync.Once

	mu        sync.Mutex
	knobs     Knobs
	faults    map[Route]Fault
	snapshots []Snapshot
	reports   map[string][]Report // by snapshot id
	tables    map[string]*Table   // by endpoint without prefix
	requests  []Request
	inFlight  int
	maxFlight int
	conns     int
}

// Start runs a fake and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("ipffake: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// New runs a fake; the caller must Close it.
func New(opts Options) (*Server, error) {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Username == "" {
		opts.Username = "admin"
	}
	if opts.Release == "" {
		opts.Release = "7.0.15+2"
	}
	if opts.APIVersion == "" {
		opts.APIVersion = "v7.0"
	}
	if len(opts.Hosts) == 0 {
		opts.Hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	cs, err := newCerts(opts.Hosts, opts.WithCA)
	if err != nil {
		return nil, fmt.Errorf("making the certificate: %w", err)
	}
	s := &Server{
		Cert:     cs.leaf,
		CertPEM:  pemOf(cs.leaf),
		CACert:   cs.ca,
		CAPEM:    pemOf(cs.ca),
		Token:    opts.Token,
		username: opts.Username,
		done:     make(chan struct{}),
		knobs:    Knobs{EndpointPrefix: "/v1", APIVersion: opts.APIVersion, Release: opts.Release},
		faults:   map[Route]Fault{},
		reports:  map[string][]Report{},
		tables:   map[string]*Table{},
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cs.tls}}
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are what some tests provoke
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.srv.StartTLS()
	s.URL = s.srv.URL
	s.Addr = s.srv.Listener.Addr().String()
	return s, nil
}

// Close stops the fake, releasing held and delayed answers first.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// WriteCertPEM writes the server's certificate to a file in dir and returns
// its path, for IPF_VERIFY.
func (s *Server) WriteCertPEM(dir string) (string, error) {
	p := filepath.Join(dir, "ipffake-cert.pem")
	return p, os.WriteFile(p, s.CertPEM, 0o600)
}

// WriteCAPEM writes the CA's certificate (Options.WithCA) to a file in dir.
func (s *Server) WriteCAPEM(dir string) (string, error) {
	if s.CAPEM == nil {
		return "", fmt.Errorf("ipffake: started without WithCA")
	}
	p := filepath.Join(dir, "ipffake-ca.pem")
	return p, os.WriteFile(p, s.CAPEM, 0o600)
}

// ClosedURL returns an https:// address on loopback where nothing listens,
// for "unreachable" tests.
func ClosedURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("ipffake: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatalf("ipffake: %v", err)
	}
	return "https://" + addr
}

// SetKnobs changes the fake's behaviour under its lock.
func (s *Server) SetKnobs(f func(k *Knobs)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.knobs)
}

// SetFault sets (or, with the zero Fault, clears) a route's fault.
func (s *Server) SetFault(r Route, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, r)
		return
	}
	s.faults[r] = f
}

// SetSnapshots replaces the fake's snapshots.
func (s *Server) SetSnapshots(snaps ...Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snapshots = s.snapshots[:0]
	for _, sn := range snaps {
		s.snapshots = append(s.snapshots, sn.withDefaults())
	}
}

// SetReports replaces the intent check results of one snapshot.
func (s *Server) SetReports(snapshotID string, reports ...Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[snapshotID] = append([]Report(nil), reports...)
}

// SetTable sets the table served at endpoint (without /v1 prefix, e.g.
// /tables/neighbors/unidirectional).
func (s *Server) SetTable(endpoint string, t Table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[endpoint] = &t
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests a route received.
func (s *Server) Count(r Route) int {
	n := 0
	for _, q := range s.Requests() {
		if q.Route == r {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// InFlight is the number of requests being answered now.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// MaxInFlight is the most requests that were being answered at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxFlight
}

// Conns is the number of TCP connections accepted so far.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := routeOf(r.URL.Path, r.Method)
	s.mu.Lock()
	s.inFlight++
	if s.inFlight > s.maxFlight {
		s.maxFlight = s.inFlight
	}
	knobs := s.knobs
	fault := s.faults[route]
	if fault.Times > 0 {
		if fault.Times == 1 {
			delete(s.faults, route)
		} else {
			left := fault
			left.Times--
			s.faults[route] = left
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()

	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 8<<20))
	}
	tok := r.Header.Get("X-API-Token")
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: route,
		HasToken: tok != "", TokenValid: tok == s.Token, Body: body,
	})
	s.mu.Unlock()

	if !s.wait(r.Context(), fault) {
		// The client gave up (or the fake is closing): send nothing at all,
		// not an empty 200.
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", "application/json")

	if route == RouteVersion {
		if !s.writeFault(w, r, fault) {
			adv := knobs.AdvertiseVersion
			if adv == "" {
				adv = knobs.APIVersion
			}
			writeJSON(w, http.StatusOK, map[string]any{"apiVersion": adv, "releaseVersion": knobs.Release})
		}
		return
	}
	rest, ok := s.checkVersion(w, r, knobs)
	if !ok {
		return
	}
	if !s.checkToken(w, tok, knobs) {
		return
	}
	if s.writeFault(w, r, fault) {
		return
	}
	s.dispatch(w, r, route, rest, body, knobs)
}

// wait applies a fault's Hold and Delay; false when the client gave up or
// the fake is closing.
func (s *Server) wait(ctx context.Context, f Fault) bool {
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-ctx.Done():
			return false
		case <-s.done:
			return false
		}
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		case <-s.done:
			return false
		}
	}
	return true
}

// writeFault sends a fault's answer, if it has one.
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Status == 0 && f.Body == "" && !f.EchoHeaders {
		return false
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := f.Body
	if body == "" {
		body = fmt.Sprintf(`{"code":"FAKE_FAULT","message":"fault injected: %s"}`, http.StatusText(status))
	}
	if f.EchoHeaders {
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, k+": "+strings.Join(v, ","))
		}
		sort.Strings(hs)
		body += "\n" + strings.Join(hs, "\n")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	return true
}

// checkVersion handles the /api/v{major}[.{minor}] prefix: a wrong major
// answers 410 with IP Fabric's body, an older minor adds Deprecation: true.
// /api/<route> with X-API-Version (7.5+) is accepted too. It returns the
// route part of the path.
func (s *Server) checkVersion(w http.ResponseWriter, r *http.Request, k Knobs) (string, bool) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/")
	seg, after, _ := strings.Cut(rest, "/")
	served := parseVersion(k.APIVersion)
	asked, isVersion := parseVersion(seg), strings.HasPrefix(seg, "v") && parseVersion(seg) != nil
	if !isVersion {
		if h := r.Header.Get("X-API-Version"); h != "" {
			asked = parseVersion("v" + h)
			if asked == nil {
				asked = []int{-1}
			}
		} else {
			asked = served
		}
		after = rest
	}
	if served == nil || asked[0] != served[0] {
		writeJSON(w, http.StatusGone, map[string]any{
			"message": "Unsupported API version used.", "release_version": k.Release, "api_version": k.APIVersion,
		})
		return "", false
	}
	if len(asked) > 1 && len(served) > 1 && asked[1] < served[1] {
		w.Header().Set("Deprecation", "true")
	}
	return "/" + after, true
}

func parseVersion(v string) []int {
	if !strings.HasPrefix(v, "v") {
		return nil
	}
	var out []int
	for _, p := range strings.Split(v[1:], ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	if len(out) == 0 || len(out) > 2 {
		return nil
	}
	return out
}

// checkToken answers 401 as IP Fabric does for a missing, unknown or
// expired token.
func (s *Server) checkToken(w http.ResponseWriter, tok string, k Knobs) bool {
	switch {
	case tok != s.Token:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "API_INVALID_API_TOKEN", "message": "Invalid API token"})
		return false
	case k.TokenExpired:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "API_EXPIRED_API_TOKEN", "message": "API token expired"})
		return false
	}
	return true
}

// routeOf classifies a request path.
func routeOf(p, method string) Route {
	if p == "/api/version" {
		return RouteVersion
	}
	rest := strings.TrimPrefix(p, "/api/")
	if rest == p {
		return RouteUnknown
	}
	if seg, after, ok := strings.Cut(rest, "/"); ok && parseVersion(seg) != nil {
		rest = after
	}
	switch {
	case rest == "users/me":
		return RouteMe
	case rest == "snapshots":
		return RouteSnapshots
	case strings.HasPrefix(rest, "snapshots/"):
		return RouteSnapshot
	case rest == "tables/management/snapshots":
		return RouteSnapshotTable
	case rest == "reports":
		return RouteReports
	case rest == "reports/groups":
		return RouteGroups
	case strings.HasPrefix(rest, "tables/") && method == http.MethodPost:
		return RouteTable
	}
	return RouteUnknown
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, route Route, rest string, body []byte, k Knobs) {
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	switch {
	case route == RouteMe && get:
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "1", "username": s.username, "email": s.username + "@example.com", "local": true,
			"sso": false, "scope": []string{"read", "write", "settings", "team"}, "roleIds": []string{"admin"},
		})
	case route == RouteSnapshots && get:
		s.serveSnapshots(w, k)
	case route == RouteSnapshot && get:
		s.serveSnapshot(w, strings.TrimPrefix(rest, "/snapshots/"), k)
	case route == RouteSnapshotTable && post:
		s.serveSnapshotTable(w, body, k)
	case route == RouteReports && get:
		s.serveReports(w, r.URL.Query().Get("snapshot"), k)
	case route == RouteGroups && get:
		s.serveGroups(w)
	case route == RouteTable && post:
		s.serveTable(w, rest, body)
	case route == RouteUnknown:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not found"})
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"message": "Method not allowed"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func write422(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []any{map[string]any{"message": msg}}})
}
