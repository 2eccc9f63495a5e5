// Package uitest is the test support the ui packages share: a real App on a
// temporary directory, stand-ins for the UI goroutine, and walkers over
// rendered widgets. It exists so that each view package's helpers_test.go
// keeps only what is particular to that view; it is imported from _test.go
// files only.
package uitest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// Secret is the webhook secret NewApp sets when asked to.
const Secret = "s3cret"

// Recorder is a notification sender that keeps what would have popped up;
// the desktop tests check the real daemon.
type Recorder struct {
	mu   sync.Mutex
	sent []string
}

// Send records title and body.
func (r *Recorder) Send(title, body string, _ bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, title+": "+body)
	return nil
}

// Sent returns what was sent so far, as "title: body".
func (r *Recorder) Sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

// AppOptions says how NewApp opens the App.
type AppOptions struct {
	Start   bool             // start it: serve on a free loopback port
	Runner  bool             // run remediation commands (NoRunner otherwise)
	Now     func() time.Time // the App's clock; nil for the real one
	Secret  string           // stored as the current secret unless empty
	KeepAll bool             // turn retention off (see writeSettings)
	Logger  *slog.Logger     // nil for the App's default
	// IPF, when set, is the IP Fabric whose API the App uses: its URL,
	// its certificate (trusted through a PEM file) and its token.
	IPF *ipffake.Server
}

// NewApp opens a real App on a temporary directory, configured to listen
// on a free loopback port once started, and shuts it down when the test
// ends.
func NewApp(tb testing.TB, o AppOptions) *app.App {
	tb.Helper()
	addr := "127.0.0.1:0"
	dir := tb.TempDir()
	writeSettings(tb, dir, o)
	a, err := app.Open(app.Options{
		DataDir:   dir,
		Sender:    &Recorder{},
		NoRunner:  !o.Runner,
		Now:       o.Now,
		Logger:    o.Logger,
		Overrides: config.Overrides{Listen: &addr},
	})
	if err != nil {
		tb.Fatalf("open app: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	})
	if o.Secret != "" {
		if _, err := a.SetSecret(config.Current, o.Secret); err != nil {
			tb.Fatalf("set secret: %v", err)
		}
	}
	if o.IPF != nil {
		if _, err := a.SetSecret(config.IPFToken, o.IPF.Token); err != nil {
			tb.Fatalf("set the IP Fabric token: %v", err)
		}
	}
	if o.Start {
		if err := a.Start(context.Background()); err != nil {
			tb.Fatalf("start: %v", err)
		}
	}
	return a
}

// writeSettings writes dir's settings for o. KeepAll turns retention off:
// the tests date their events in the past (fixed, for stable goldens), and
// the App's retention, which prunes at start against the real clock, would
// otherwise race them. IPF points the API at the fake, trusting exactly its
// certificate.
func writeSettings(tb testing.TB, dir string, o AppOptions) {
	tb.Helper()
	if !o.KeepAll && o.IPF == nil {
		return
	}
	s := config.DefaultSettings()
	if o.KeepAll {
		s.RetainEvents, s.RetainRejections = 0, 0
	}
	if o.IPF != nil {
		pem, err := o.IPF.WriteCertPEM(dir)
		if err != nil {
			tb.Fatal(err)
		}
		s.IPFURL, s.IPFVerify = o.IPF.URL, pem
	}
	if err := config.SaveSettings(config.SettingsFile(dir), s); err != nil {
		tb.Fatal(err)
	}
}

// Delivery builds what the listener would hand over for p.
func Delivery(tb testing.TB, p send.Payload, at time.Time) webhook.Event {
	tb.Helper()
	body := send.Body(p)
	ev, err := webhook.Parse(body)
	if err != nil {
		tb.Fatalf("parse %s: %v", body, err)
	}
	return webhook.Event{
		Payload: ev, Body: body, Key: webhook.Key(ev),
		RemoteAddr: "192.0.2.10:50123", UserAgent: "IPF-Webhook/7.2",
		ReceivedAt: at, SecretMatched: listener.SecretCurrent,
	}
}

// WaitChange reads changes until one of kind arrives.
func WaitChange(tb testing.TB, sub *app.Subscription, kind app.ChangeKind) app.Change {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		c, ok := sub.Next(ctx)
		if !ok {
			tb.Fatalf("no %s change within 10s", kind)
		}
		if c.Kind == kind {
			return c
		}
	}
}
