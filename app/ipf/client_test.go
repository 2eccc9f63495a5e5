package ipf

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

func TestTestConnection(t *testing.T) {
	f := startFake(t, ipffake.Options{Username: "netops", Release: "7.0.15+2", APIVersion: "v7.0"})
	c := clientFor(t, f, Options{})
	info, err := c.TestConnection(ctx(t))
	if err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	if info != (Info{Release: "7.0.15+2", APIVersion: "v7.0", Username: "netops"}) {
		t.Fatalf("Info = %+v", info)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Route != ipffake.RouteVersion || reqs[1].Route != ipffake.RouteMe {
		t.Fatalf("requests = %+v, want /api/version then users/me", reqs)
	}
	if reqs[0].HasToken {
		t.Errorf("GET /api/version carried the token; it needs none")
	}
	if !reqs[1].TokenValid || reqs[1].Path != "/api/v7.0/users/me" {
		t.Errorf("users/me request = %+v, want the valid token on /api/v7.0/users/me", reqs[1])
	}
	if c.BaseURL() != f.URL {
		t.Errorf("BaseURL = %s, want %s", c.BaseURL(), f.URL)
	}
}

// TestURLForms checks that the forms of IPF_URL engineers write all reach
// the same API.
func TestURLForms(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	pemPath, err := f.WriteCertPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{f.URL, f.URL + "/", f.URL + "/api", f.URL + "/api/v6.1/", strings.TrimPrefix(f.URL, "https://")} {
		c := newClient(t, Config{URL: u, Token: f.Token, Verify: pemPath}, Options{})
		if _, err := c.TestConnection(ctx(t)); err != nil {
			t.Errorf("IPF_URL=%s: %v", u, err)
		}
	}
}

func TestTLSVerification(t *testing.T) {
	self := startFake(t, ipffake.Options{})
	selfPEM, err := self.WriteCertPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A self-signed certificate for another name, as appliances accessed by
	// address often have: pinning it must work all the same.
	misnamed := startFake(t, ipffake.Options{Hosts: []string{"ipfabric.corp.example"}})
	misnamedPEM, err := misnamed.WriteCertPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca := startFake(t, ipffake.Options{WithCA: true})
	caPEM, err := ca.WriteCAPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	caMisnamed := startFake(t, ipffake.Options{WithCA: true, Hosts: []string{"ipfabric.corp.example"}})
	caMisnamedPEM, err := caMisnamed.WriteCAPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.pem")
	if err := os.WriteFile(bundle, append(append([]byte{}, ca.CAPEM...), self.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		fake   *ipffake.Server
		verify string
		reason string // "" when it must succeed
	}{
		{"system CAs refuse a self-signed certificate", self, "true", "not signed by an authority"},
		{"empty means true", self, "", "not signed by an authority"},
		{"verification off", self, "false", ""},
		{"verification off, SDK spelling", self, "False", ""},
		{"pinned self-signed certificate", self, selfPEM, ""},
		{"pinned certificate with another host name", misnamed, selfPEM, "neither the certificate in IPF_VERIFY"},
		{"pinned misnamed certificate", misnamed, misnamedPEM, ""},
		{"CA file", ca, caPEM, ""},
		{"CA file, host name mismatch", caMisnamed, caMisnamedPEM, "it is for ipfabric.corp.example, not 127.0.0.1"},
		{"CA of another server", self, caPEM, "not signed by an authority"},
		{"bundle of a CA and a pinned certificate", ca, bundle, ""},
		{"bundle, pinned half", self, bundle, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := newClient(t, Config{URL: c.fake.URL, Token: c.fake.Token, Verify: c.verify}, Options{})
			_, err := cl.TestConnection(ctx(t))
			if c.reason == "" {
				if err != nil {
					t.Fatalf("TestConnection: %v", err)
				}
				return
			}
			var te *TLSError
			if !errors.As(err, &te) {
				t.Fatalf("error = %v (%T), want a *TLSError", err, err)
			}
			if !strings.Contains(te.Reason, c.reason) {
				t.Errorf("reason = %q, want it to say %q", te.Reason, c.reason)
			}
			fp := Fingerprint(c.fake.Cert)
			if te.Fingerprint() != fp || !strings.Contains(err.Error(), fp) {
				t.Errorf("error = %v, want the fingerprint %s", err, fp)
			}
			for _, want := range []string{"IPF_VERIFY=/path/to/cert.pem", "CN=ipfabric.fake.test", c.fake.Addr} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %v, want it to mention %q", err, want)
				}
			}
			// The PEM offered is the server's certificate and, once saved,
			// makes the connection work.
			block, _ := pem.Decode(te.PEM())
			if block == nil {
				t.Fatalf("PEM() = %q, not PEM", te.PEM())
			}
			got, err := x509.ParseCertificate(block.Bytes)
			if err != nil || !got.Equal(c.fake.Cert) {
				t.Fatalf("PEM() is not the server's certificate (%v)", err)
			}
			saved := filepath.Join(t.TempDir(), "saved.pem")
			if err := os.WriteFile(saved, te.PEM(), 0o600); err != nil {
				t.Fatal(err)
			}
			again := newClient(t, Config{URL: c.fake.URL, Token: c.fake.Token, Verify: saved}, Options{})
			if _, err := again.TestConnection(ctx(t)); err != nil {
				t.Fatalf("with the saved certificate: %v", err)
			}
			if c.fake.Count(ipffake.RouteVersion) == 0 {
				t.Errorf("the retry with the saved certificate made no call")
			}
		})
	}
}

func TestTLSFingerprintFormat(t *testing.T) {
	f := ipffake.Start(t, ipffake.Options{})
	fp := Fingerprint(f.Cert)
	if len(fp) != 32*3-1 || strings.ToUpper(fp) != fp || strings.Count(fp, ":") != 31 {
		t.Fatalf("Fingerprint = %q, want 32 colon-separated upper-case hex bytes", fp)
	}
}

func TestErrorsFromIPFabric(t *testing.T) {
	type call func(c *Client) error
	conn := func(c *Client) error { _, err := c.TestConnection(ctx(t)); return err }
	checks := func(c *Client) error { _, err := c.Checks(ctx(t), snapID); return err }
	snap := func(c *Client) error { _, err := c.Snapshot(ctx(t), snapID); return err }

	cases := []struct {
		name  string
		setup func(f *ipffake.Server) Config
		call  call
		check func(t *testing.T, err error)
	}{
		{"invalid token", func(f *ipffake.Server) Config {
			return Config{URL: f.URL, Token: "not-the-right-token-0000000", Verify: "false"}
		}, conn, func(t *testing.T, err error) {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != CodeInvalidToken || ae.Expired() {
				t.Fatalf("error = %v, want an invalid-token AuthError", err)
			}
			mustSay(t, err, "API_INVALID_API_TOKEN", "IPF_TOKEN")
		}},
		{"expired token", func(f *ipffake.Server) Config {
			f.SetKnobs(func(k *ipffake.Knobs) { k.TokenExpired = true })
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, conn, func(t *testing.T, err error) {
			var ae *AuthError
			if !errors.As(err, &ae) || !ae.Expired() {
				t.Fatalf("error = %v, want an expired-token AuthError", err)
			}
			mustSay(t, err, "API_EXPIRED_API_TOKEN", "expired")
		}},
		{"401 without a code", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteMe, ipffake.Fault{Status: 401, Body: `{"message":"Who are you?"}`})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, conn, func(t *testing.T, err error) {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != "" {
				t.Fatalf("error = %v, want an AuthError without code", err)
			}
			mustSay(t, err, "HTTP 401", "Who are you?")
		}},
		{"403", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteReports, ipffake.Fault{Status: 403, Body: `{"code":"API_INSUFFICIENT_RIGHTS","message":"Insufficient rights"}`})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, checks, func(t *testing.T, err error) {
			var fe *ForbiddenError
			if !errors.As(err, &fe) || fe.Code != "API_INSUFFICIENT_RIGHTS" {
				t.Fatalf("error = %v, want a ForbiddenError", err)
			}
			mustSay(t, err, "HTTP 403", "/api/v7.0/reports", "Insufficient rights")
		}},
		{"502", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteSnapshot, ipffake.Fault{Status: 502, Body: "<html>Bad Gateway</html>"})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, snap, func(t *testing.T, err error) {
			var se *ServerError
			if !errors.As(err, &se) || se.Status != 502 {
				t.Fatalf("error = %v, want a 502 ServerError", err)
			}
			mustSay(t, err, "HTTP 502 Bad Gateway", "<html>Bad Gateway</html>")
		}},
		{"500 with IP Fabric's error list", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteReports, ipffake.Fault{Status: 500, Body: `{"errors":[{"message":"db down"},{"message":"retry"}]}`})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, checks, func(t *testing.T, err error) {
			var se *ServerError
			if !errors.As(err, &se) || se.Message != "db down; retry" {
				t.Fatalf("error = %v, want a ServerError with the joined messages", err)
			}
		}},
		{"bad JSON from /api/version", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteVersion, ipffake.Fault{Body: `{"apiVersion": "v7.0", `})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, conn, func(t *testing.T, err error) {
			var be *BadResponseError
			if !errors.As(err, &be) || be.Path != "/api/version" {
				t.Fatalf("error = %v, want a BadResponseError for /api/version", err)
			}
			mustSay(t, err, "not valid JSON")
		}},
		{"no apiVersion", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteVersion, ipffake.Fault{Body: `{"releaseVersion":"7.0"}`})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, conn, func(t *testing.T, err error) {
			var be *BadResponseError
			if !errors.As(err, &be) {
				t.Fatalf("error = %v, want a BadResponseError", err)
			}
			mustSay(t, err, "apiVersion")
		}},
		{"bad JSON from /reports", func(f *ipffake.Server) Config {
			f.SetFault(ipffake.RouteReports, ipffake.Fault{Body: `[{"id":"1",`})
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, checks, func(t *testing.T, err error) {
			var be *BadResponseError
			if !errors.As(err, &be) {
				t.Fatalf("error = %v, want a BadResponseError", err)
			}
		}},
		{"404 snapshot", func(f *ipffake.Server) Config {
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, func(c *Client) error { _, err := c.Snapshot(ctx(t), "nope"); return err }, func(t *testing.T, err error) {
			if !IsNotFound(err) {
				t.Fatalf("error = %v, want a NotFoundError", err)
			}
			mustSay(t, err, `no snapshot "nope"`)
		}},
		{"404 reports", func(f *ipffake.Server) Config {
			return Config{URL: f.URL, Token: f.Token, Verify: "false"}
		}, func(c *Client) error { _, err := c.Checks(ctx(t), "nope"); return err }, func(t *testing.T, err error) {
			if !IsNotFound(err) {
				t.Fatalf("error = %v, want a NotFoundError", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := startFake(t, ipffake.Options{})
			cl := newClient(t, c.setup(f), Options{})
			c.check(t, c.call(cl))
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	f.SetFault(ipffake.RouteMe, ipffake.Fault{Status: http.StatusFound, Body: "{}"})
	cl := newClient(t, Config{URL: f.URL, Token: f.Token, Verify: "false"}, Options{})
	_, err := cl.TestConnection(ctx(t))
	var re *RedirectError
	if !errors.As(err, &re) || re.Status != http.StatusFound {
		t.Fatalf("error = %v, want a RedirectError", err)
	}
	if n := f.Count(ipffake.RouteMe); n != 1 {
		t.Fatalf("users/me asked %d times, want once (no redirect followed)", n)
	}
}

func mustSay(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}

func TestUnsupportedVersion(t *testing.T) {
	f := startFake(t, ipffake.Options{Release: "7.0.15+2", APIVersion: "v7.0"})
	// /api/version claims a version the server does not serve: the client
	// gets a 410, re-reads the version, gets the same, and gives up.
	f.SetKnobs(func(k *ipffake.Knobs) { k.AdvertiseVersion = "v6.1" })
	c := clientFor(t, f, Options{})
	_, err := c.TestConnection(ctx(t))
	var ue *UnsupportedVersionError
	if !errors.As(err, &ue) {
		t.Fatalf("error = %v, want an UnsupportedVersionError", err)
	}
	if ue.Used != "v6.1" || ue.Release != "7.0.15+2" || ue.APIVersion != "v7.0" || ue.Message != "Unsupported API version used." {
		t.Fatalf("UnsupportedVersionError = %+v", ue)
	}
	mustSay(t, err, "7.0.15+2", "v6.1", "v7.0", "HTTP 410")
	if n := f.Count(ipffake.RouteVersion); n != 2 {
		t.Errorf("/api/version read %d times, want 2 (once more after the 410)", n)
	}
}

// TestUpgradeWhileRunning: IP Fabric moves to a new major version while the
// client runs; the next call's 410 makes it re-read /api/version and retry.
func TestUpgradeWhileRunning(t *testing.T) {
	f := startFake(t, ipffake.Options{Release: "7.0.15+2", APIVersion: "v7.0"})
	c := clientFor(t, f, Options{})
	if _, err := c.Checks(ctx(t), snapID); err != nil {
		t.Fatal(err)
	}
	f.SetKnobs(func(k *ipffake.Knobs) { k.APIVersion, k.Release = "v8.1", "8.1.0+3" })
	f.ResetRequests()
	checks, err := c.Checks(ctx(t), snapID)
	if err != nil || len(checks) != 2 {
		t.Fatalf("Checks after the upgrade = %d checks, %v", len(checks), err)
	}
	var paths []string
	for _, r := range f.Requests() {
		paths = append(paths, r.Path)
	}
	want := "/api/v7.0/reports /api/version /api/v8.1/reports"
	if strings.Join(paths, " ") != want {
		t.Fatalf("requests = %s, want %s", strings.Join(paths, " "), want)
	}
	if v, _ := c.Version(ctx(t)); v.APIVersion != "v8.1" || v.Release != "8.1.0+3" {
		t.Fatalf("Version = %+v", v)
	}
}

func TestDeprecatedMinorStillWorks(t *testing.T) {
	f := startFake(t, ipffake.Options{APIVersion: "v7.2"})
	f.SetKnobs(func(k *ipffake.Knobs) { k.AdvertiseVersion = "v7.0" })
	c := clientFor(t, f, Options{})
	if _, err := c.Checks(ctx(t), snapID); err != nil {
		t.Fatalf("an older minor version must work (with Deprecation: true): %v", err)
	}
}

func TestTimeout(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	f.SetFault(ipffake.RouteReports, ipffake.Fault{Delay: time.Minute})
	c := clientFor(t, f, Options{Timeout: 200 * time.Millisecond})
	_, err := c.Checks(ctx(t), snapID)
	var te *TimeoutError
	if !errors.As(err, &te) || te.After != 200*time.Millisecond {
		t.Fatalf("error = %v (%T), want a TimeoutError after 200ms", err, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a TimeoutError should match context.DeadlineExceeded")
	}
	mustSay(t, err, "did not answer GET /api/v7.0/reports within 200ms")
	// Other calls are not slowed down by the slow one.
	if _, err := c.Snapshot(ctx(t), snapID); err != nil {
		t.Fatalf("Snapshot after a timeout: %v", err)
	}
}

func TestCallerCancel(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	hold := make(chan struct{})
	defer close(hold)
	f.SetFault(ipffake.RouteReports, ipffake.Fault{Hold: hold})
	c := clientFor(t, f, Options{})
	if _, err := c.Version(ctx(t)); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() { _, err := c.Checks(cctx, snapID); done <- err }()
	waitFor(t, func() bool { return f.InFlight() == 1 })
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		t.Fatalf("a cancel is not a timeout: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	closed := ipffake.ClosedURL(t)
	f := ipffake.Start(t, ipffake.Options{})
	stopped := f.URL
	f.Close()
	for _, u := range []string{closed, stopped} {
		c := newClient(t, Config{URL: u, Token: "tok-0123456789abcdef", Verify: "false"}, Options{})
		_, err := c.TestConnection(ctx(t))
		var ue *UnreachableError
		if !errors.As(err, &ue) {
			t.Fatalf("%s: error = %v (%T), want an UnreachableError", u, err, err)
		}
		addr := strings.TrimPrefix(u, "https://")
		mustSay(t, err, "cannot reach IP Fabric at "+addr, "connection refused")
	}
	c := newClient(t, Config{URL: "https://ipf.invalid", Token: "tok-0123456789abcdef"}, Options{})
	_, err := c.TestConnection(ctx(t))
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != "ipf.invalid:443" {
		t.Fatalf("error = %v, want an UnreachableError for ipf.invalid:443", err)
	}
}

func TestWrongScheme(t *testing.T) {
	// https:// to a plain HTTP server.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	c := newClient(t, Config{URL: strings.Replace(plain.URL, "http://", "https://", 1), Token: "tok-0123456789abcdef"}, Options{})
	_, err := c.TestConnection(ctx(t))
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("error = %v (%T), want an UnreachableError", err, err)
	}
	mustSay(t, err, "plain HTTP", "http://")

	// http:// to IP Fabric's TLS port: Go's TLS server answers 400.
	f := ipffake.Start(t, ipffake.Options{})
	c = newClient(t, Config{URL: strings.Replace(f.URL, "https://", "http://", 1), Token: f.Token}, Options{})
	_, err = c.TestConnection(ctx(t))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		t.Fatalf("error = %v (%T), want a 400 StatusError", err, err)
	}
}

// TestConcurrencyCap: six calls at once, at most two reach IP Fabric.
func TestConcurrencyCap(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	if _, err := c.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	f.SetFault(ipffake.RouteReports, ipffake.Fault{Hold: hold})
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Checks(ctx(t), snapID)
			errs <- err
		}()
	}
	waitFor(t, func() bool { return f.InFlight() >= 2 })
	// Give any call beyond the cap the chance to show up before releasing.
	time.Sleep(100 * time.Millisecond)
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m := f.MaxInFlight(); m != 2 {
		t.Fatalf("max in flight at IP Fabric = %d, want 2", m)
	}
	if n := f.Count(ipffake.RouteReports); n != 6 {
		t.Fatalf("reports asked %d times, want 6", n)
	}
}

func TestKeepAlive(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	for i := 0; i < 5; i++ {
		if _, err := c.Snapshot(ctx(t), snapID); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Conns(); n != 1 {
		t.Fatalf("%d connections for 6 sequential calls, want 1 kept alive", n)
	}
}

// TestTokenNeverInErrorsOrLogs makes IP Fabric echo the request headers
// (X-API-Token included) in every kind of failure and checks no error text
// and no log line carries the token.
func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	var logs bytes.Buffer
	c := clientFor(t, f, Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if _, err := c.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	faults := []ipffake.Fault{
		{Status: 500, EchoHeaders: true},
		{Status: 502, Body: "upstream said:", EchoHeaders: true},
		{Status: 403, EchoHeaders: true},
		{Status: 401, EchoHeaders: true},
		{Status: 404, EchoHeaders: true},
		{Status: 418, EchoHeaders: true},
		{Status: 422, EchoHeaders: true},
		{Status: 410, Body: `{"message":"` + f.Token + `","release_version":"` + f.Token + `"}`},
		{Status: 401, Body: `{"code":"` + f.Token + `","message":"token ` + f.Token + ` is bad"}`},
		{Status: 302, Body: "{}"},
		{Body: "not json", EchoHeaders: true},
		{Body: `{"data": "` + f.Token + `"}`},
		{Body: `[{"id":"x"}]`, EchoHeaders: true},
	}
	calls := map[ipffake.Route]func() error{
		ipffake.RouteMe:            func() error { _, err := c.TestConnection(ctx(t)); return err },
		ipffake.RouteReports:       func() error { _, err := c.Checks(ctx(t), snapID); return err },
		ipffake.RouteSnapshot:      func() error { _, err := c.Snapshot(ctx(t), snapID); return err },
		ipffake.RouteSnapshotTable: func() error { _, err := c.FinishedSnapshots(ctx(t), time.Time{}); return err },
		ipffake.RouteTable: func() error {
			k := Check{Name: "x", APIEndpoint: ifTable, Column: "errPktsPct", WebEndpoint: "/w"}
			_, err := c.CheckRows(ctx(t), snapID, k, Red, 10)
			return err
		},
	}
	failures := 0
	for route, call := range calls {
		for _, fault := range faults {
			f.SetFault(route, fault)
			err := call()
			f.SetFault(route, ipffake.Fault{})
			if err == nil {
				continue
			}
			failures++
			if strings.Contains(err.Error(), f.Token) {
				t.Errorf("%s with fault %+v: the error shows the token: %v", route, fault, err)
			}
		}
	}
	if failures < len(calls)*8 {
		t.Fatalf("only %d of the faults failed; the test exercised too little", failures)
	}
	if strings.Contains(logs.String(), f.Token) {
		t.Fatalf("the token is in the logs")
	}
	if !strings.Contains(logs.String(), "IP Fabric call") {
		t.Fatalf("no debug log lines were written: %q", logs.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
