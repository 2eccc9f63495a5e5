package app_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// selfSigned writes a self-signed certificate and key for dnsName (and no
// IP address, as an engineer's certificate for their laptop's name has)
// and returns the two file names.
func selfSigned(t testing.TB, dir, dnsName string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: dnsName},
		DNSNames:     []string{dnsName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func openStarted(t *testing.T, o app.Options) *app.App {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	o.Sender, o.NoRunner, o.Logger = &recorder{}, true, quietLogger(io.Discard)
	a, err := app.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	if _, err := a.SetSecret(config.Current, secret); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSendTestOverTLS: with --tls-cert/--tls-key the listener speaks HTTPS,
// and the tray's test webhook reaches it although its self-signed
// certificate names neither 127.0.0.1 nor a trusted issuer.
func TestSendTestOverTLS(t *testing.T) {
	cert, key := selfSigned(t, t.TempDir(), "laptop.example")
	a := openStarted(t, app.Options{Overrides: config.Overrides{Listen: ptr("127.0.0.1:0"), TLSCert: &cert, TLSKey: &key}})
	if !strings.HasPrefix(a.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s", a.URL())
	}
	// A plain client does not trust the certificate: the listener is TLS.
	if _, err := send.Signed(context.Background(), a.URL(), secret, send.Body(send.Payload{})); err == nil {
		t.Fatalf("an unverifiable certificate was trusted by the default client")
	}
	ans, err := a.SendTest(context.Background())
	if err != nil || ans.Status != 200 || !strings.Contains(ans.Body, `"result":"ok"`) {
		t.Fatalf("SendTest over TLS: %+v %v", ans, err)
	}
	// Another self-signed certificate is not the pinned one.
	other, _ := selfSigned(t, t.TempDir(), "laptop.example")
	pins, err := send.PinnedFromFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := send.Do(context.Background(), send.Client(send.TLSOptions{Pinned: pins}), a.URL(), []byte("{}"), "x"); err == nil {
		t.Errorf("a different pinned certificate was accepted")
	}
}

// TestBadCertificateKeepsListener: a settings change to an unreadable
// certificate on the same address fails and leaves the listener serving.
func TestBadCertificateKeepsListener(t *testing.T) {
	a := openStarted(t, app.Options{})
	s := a.Settings().Saved
	s.Listen = "127.0.0.1:0"
	if err := a.ApplySettings(s); err != nil {
		t.Fatal(err)
	}
	addr := a.Addr()
	if addr == "" {
		t.Fatal("not listening")
	}
	s.TLSCert, s.TLSKey = filepath.Join(t.TempDir(), "missing.pem"), filepath.Join(t.TempDir(), "missing.key")
	if err := a.ApplySettings(s); err == nil || !strings.Contains(err.Error(), "TLS certificate") {
		t.Fatalf("bad certificate: %v", err)
	}
	if got := a.Addr(); got != addr {
		t.Fatalf("listener after a failed change: %q, want %q still serving", got, addr)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("old listener gone: %v", err)
	}
	resp.Body.Close()
}

// TestNoBindAfterShutdown: settings applied after Shutdown never start a
// listener on a closed store.
func TestNoBindAfterShutdown(t *testing.T) {
	a := openStarted(t, app.Options{Overrides: config.Overrides{}})
	s := a.Settings().Saved
	s.Listen = "127.0.0.1:0"
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.ApplySettings(s)
	if got := a.Addr(); got != "" {
		t.Fatalf("listening on %s after Shutdown", got)
	}
}

// TestURLReachesBoundHost: a listener bound to one loopback address other
// than 127.0.0.1 is still reached by the test webhook.
func TestURLReachesBoundHost(t *testing.T) {
	a := openStarted(t, app.Options{Overrides: config.Overrides{Listen: ptr("127.0.0.2:0")}})
	if !strings.HasPrefix(a.URL(), "http://127.0.0.2:") {
		t.Fatalf("URL %s", a.URL())
	}
	ans, err := a.SendTest(context.Background())
	if err != nil || ans.Status != 200 {
		t.Fatalf("SendTest: %+v %v", ans, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"[::]:8000", "127.0.0.1:8000"}, {"0.0.0.0:1", "127.0.0.1:1"}, {":80", "127.0.0.1:80"},
		{"[::1]:9", "[::1]:9"}, {"192.0.2.7:8000", "192.0.2.7:8000"},
	} {
		if got := app.LocalHostPort(tt.in); got != tt.want {
			t.Errorf("LocalHostPort(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestShutdownWaitsForReplacedListener: a request in flight on the address
// a rebind left is committed and answered 200 before Shutdown closes the
// store.
func TestShutdownWaitsForReplacedListener(t *testing.T) {
	dir := t.TempDir()
	a := openStarted(t, app.Options{DataDir: dir})
	s := a.Settings().Saved
	s.Listen = "127.0.0.1:0"
	if err := a.ApplySettings(s); err != nil {
		t.Fatal(err)
	}
	old := a.Addr()
	body := send.Body(send.Payload{SnapshotID: "in-flight"})
	conn, err := net.Dial("tcp", old)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /ipfabric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-IPF-Signature: %s\r\nContent-Length: %d\r\n\r\n",
		listener.Sign(body, secret), len(body))
	conn.Write(body[:5])
	// Wait until the old server has the request in hand: a rebind then
	// leaves it to finish.
	time.Sleep(200 * time.Millisecond)
	// The same spec rebinds synchronously; move to another port instead.
	s.Listen = "127.0.0.1:0"
	s.Path = "/ipfabric"
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s.Listen = ln.Addr().String()
	ln.Close()
	if err := a.ApplySettings(s); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Shutdown(context.Background()) }()
	time.Sleep(300 * time.Millisecond)
	conn.Write(body[5:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("in-flight delivery answered %d %s", resp.StatusCode, b)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "ipfwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ListEvents(context.Background(), store.EventFilter{Search: "in-flight", Limit: 10})
	if err != nil || len(rows) != 1 {
		t.Fatalf("acknowledged event not in the DB: %v %v", rows, err)
	}
}

// TestRetentionChangeAppliesAtOnce: a shorter retention saved in Settings
// prunes without a restart.
func TestRetentionChangeAppliesAtOnce(t *testing.T) {
	a := openStarted(t, app.Options{Overrides: config.Overrides{Listen: ptr("127.0.0.1:0")}})
	ctx := context.Background()
	old := time.Now().Add(-10 * 24 * time.Hour)
	body := send.Body(send.Payload{SnapshotID: "old-one", Time: old})
	ev, err := webhook.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Store().InsertEvent(ctx, webhook.Event{Payload: ev, Body: body, Key: webhook.Key(ev), ReceivedAt: old})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Settings().Saved
	s.RetainEvents = config.Duration(24 * time.Hour)
	if err := a.ApplySettings(s); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := a.Store().GetEvent(ctx, res.ID); err != nil {
			return // pruned
		}
		if time.Now().After(deadline) {
			t.Fatal("an event older than the new retention is still there")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConcurrentSettingsChanges: whichever change is saved last is where
// the listener ends up.
func TestConcurrentSettingsChanges(t *testing.T) {
	a := openStarted(t, app.Options{})
	var ports []string
	for range 6 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Addr().String())
		ln.Close()
	}
	done := make(chan struct{})
	for _, p := range ports {
		go func() {
			defer func() { done <- struct{}{} }()
			s := a.Settings().Saved
			s.Listen = p
			a.ApplySettings(s)
		}()
	}
	for range ports {
		<-done
	}
	if got, want := a.Addr(), a.Settings().Effective.Listen; got != want {
		t.Fatalf("listening on %s, settings say %s", got, want)
	}
}
