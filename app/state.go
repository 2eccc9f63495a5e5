package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

// ListenerState is what the tray icon and status line show, worst first.
type ListenerState string

// The listener states.
const (
	StateError     ListenerState = "error"     // cannot bind, or no secret configured
	StatePaused    ListenerState = "paused"    // answering 503 so IP Fabric retries later
	StateListening ListenerState = "listening" // all well
	StateStopped   ListenerState = "stopped"   // not started yet, or shut down
)

// Status is a snapshot of everything the tray and the status bar show.
type Status struct {
	State           ListenerState
	Error           string // why State is StateError
	Addr            string // bound address
	Listen          string // configured address
	Path            string
	EventsToday     int64
	RejectionsToday int64
	Pending         int   // remediation proposals awaiting approval
	UnseenFailures  int64 // rejections since the engineer last looked
	Muted           bool
	MutedUntil      time.Time
	NotifyError     string // last notification failure, if any
}

// Status gathers the current state. It reads the store, so call it off
// the UI goroutine.
func (a *App) Status(ctx context.Context) Status {
	a.mu.Lock()
	s := Status{Listen: a.effective.Listen, Path: a.effective.Path}
	listenErr := a.listenErr
	if a.srv != nil {
		s.Addr = a.srv.addr
	}
	a.mu.Unlock()
	switch {
	case listenErr != nil:
		s.State, s.Error = StateError, listenErr.Error()
	case a.secretSet.Load().Current == "":
		s.State, s.Error = StateError, "no webhook secret configured"
	case s.Addr == "":
		s.State = StateStopped
	case a.paused.Load():
		s.State = StatePaused
	default:
		s.State = StateListening
	}
	now := a.now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	if ev, rej, err := a.store.CountSince(ctx, midnight); err == nil {
		s.EventsToday, s.RejectionsToday = ev, rej
	}
	if n, err := a.rem.PendingCount(ctx); err == nil {
		s.Pending = n
	}
	if _, rej, err := a.store.LatestIDs(ctx); err == nil {
		if seen := a.seenRejectionID.Load(); rej > seen {
			s.UnseenFailures = rej - seen
		}
	}
	s.Muted, s.MutedUntil = a.center.Muted()
	if err := a.center.LastError(); err != nil {
		s.NotifyError = err.Error()
	}
	return s
}

// MarkFailuresSeen clears the attention the tray shows for new rejections:
// the engineer has opened the Signature failures view.
func (a *App) MarkFailuresSeen(ctx context.Context) {
	if _, rej, err := a.store.LatestIDs(ctx); err == nil {
		a.seenRejectionID.Store(rej)
		a.publish(Change{Kind: StateChanged})
	}
}

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

// SettingsView is what the Settings screen shows: the saved settings, the
// ones in force, which fields a flag or the environment fixes, and where
// each secret comes from. It never carries a secret's value.
type SettingsView struct {
	Saved          config.Settings
	Effective      config.Settings
	Overridden     []string
	SecretSource   config.Source
	PreviousSource config.Source
	DataDir        string
	DBPath         string
}

// Settings returns the SettingsView.
func (a *App) Settings() SettingsView {
	a.mu.Lock()
	v := SettingsView{Saved: a.saved, Effective: a.effective, Overridden: a.opts.Overrides.Fields(),
		DataDir: a.opts.DataDir, DBPath: a.opts.DBPath}
	a.mu.Unlock()
	_, v.SecretSource, _ = a.secrets.Get(config.Current)
	_, v.PreviousSource, _ = a.secrets.Get(config.Previous)
	return v
}

// ApplySettings validates and saves s, then applies it without a restart:
// the handler is rebuilt and, if the address or TLS changed, the listener
// rebinds. Invalid settings return config.FieldErrors and change nothing.
func (a *App) ApplySettings(s config.Settings) error {
	// One change at a time, so the listener ends up bound where the last
	// saved settings say.
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	if err := s.Validate(); err != nil {
		return err
	}
	eff := a.opts.Overrides.Apply(s)
	if err := eff.Validate(); err != nil {
		return err
	}
	if err := config.SaveSettings(config.SettingsFile(a.opts.DataDir), s); err != nil {
		return err
	}
	a.mu.Lock()
	old := a.effective
	a.saved, a.effective = s, eff
	bound := a.srv != nil
	if retentionOf(eff) != retentionOf(old) {
		a.restartRetentionLocked(retentionOf(eff))
	}
	a.mu.Unlock()
	a.applyNotifyToggles(eff)
	a.rem.SetMaxConcurrent(eff.MaxConcurrentRuns)
	if err := a.reloadSecrets(); err != nil {
		return err
	}
	if eff.Path != old.Path || eff.MaxAge != old.MaxAge {
		// A new handler only when what it checks changed: it also holds
		// the per-address failure limiter and the counters.
		a.handler.Store(a.newHandler(eff))
	}
	// Before Start nothing binds (Start will, with these settings), and
	// after Shutdown nothing may.
	running := a.started.Load() && !a.stopped.Load()
	if running && (eff.Listen != old.Listen || eff.TLSCert != old.TLSCert || eff.TLSKey != old.TLSKey || !bound) {
		if err := a.bind(eff); err != nil {
			return err
		}
	}
	a.publish(Change{Kind: StateChanged})
	return nil
}

// Secret returns a secret and where it comes from, for the Settings view's
// "show" button only.
func (a *App) Secret(w config.Which) (string, config.Source) {
	v, src, _ := a.secrets.Get(w)
	return v, src
}

// SetSecret stores a secret (empty removes it) and puts it in force at once.
func (a *App) SetSecret(w config.Which, v string) (config.Source, error) {
	src, err := a.secrets.Set(w, v)
	if err != nil {
		return src, err
	}
	if err := a.reloadSecrets(); err != nil {
		return src, err
	}
	a.publish(Change{Kind: StateChanged})
	return src, nil
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
