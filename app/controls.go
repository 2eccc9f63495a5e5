package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

// SetPaused pauses or resumes the listener. While paused it answers 503, so
// IP Fabric retries later and nothing is lost.
func (a *App) SetPaused(p bool) {
	a.paused.Store(p)
	a.log.Info("listener", "paused", p)
	a.publish(Change{Kind: StateChanged})
}

// Paused reports whether the listener is paused.
func (a *App) Paused() bool { return a.paused.Load() }

// Mute silences notifications for d; they are counted and summarised on
// unmute.
func (a *App) Mute(d time.Duration) {
	a.center.Mute(a.now().Add(d))
	a.publish(Change{Kind: StateChanged})
}

// Unmute ends a mute now, with its summary notification.
func (a *App) Unmute() {
	a.center.Unmute()
	a.publish(Change{Kind: StateChanged})
}

// SendTest sends a signed test webhook to this app's own listener, as the
// tray's "Send test webhook" does, and returns the listener's answer.
func (a *App) SendTest(ctx context.Context) (send.Answer, error) {
	url, cert := a.self()
	if url == "" {
		return send.Answer{}, errors.New("the listener is not running")
	}
	secret := a.secretSet.Load().Current
	if secret == "" {
		return send.Answer{}, errors.New("no webhook secret configured")
	}
	// With TLS, trust the certificate our listener presents, and only that
	// one: a self-signed certificate on our own loopback cannot be verified
	// any other way.
	var client *http.Client
	if cert != nil {
		client = send.Client(send.TLSOptions{Pinned: [][]byte{cert}})
	}
	body := send.Body(send.Payload{Test: true, SnapshotName: "ipfwatch test", Time: a.now()})
	return send.Do(ctx, client, url, body, listener.Sign(body, secret))
}
