package app

import (
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener"
)

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
	a.changeMu.Lock()
	defer a.changeMu.Unlock()
	if err := s.Validate(); err != nil {
		return err
	}
	if s.IPFURL != "" {
		// Checked here rather than in config, which does not know IP
		// Fabric's address rules; the field error reads as the form's.
		if _, err := ipf.ParseURL(s.IPFURL); err != nil {
			return config.FieldErrors{"ipf_url": err.Error()}
		}
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
	a.mu.Unlock()
	running := a.phase == started
	if running && retentionOf(eff) != retentionOf(old) {
		a.restartRetention(retentionOf(eff))
	}
	a.applyNotifyToggles(eff)
	a.rem.SetMaxConcurrent(eff.MaxConcurrentRuns)
	if err := a.reloadSecrets(); err != nil {
		return err
	}
	if eff.IPFURL != old.IPFURL || eff.IPFVerify != old.IPFVerify {
		a.reloadIPF()
	}
	if eff.Path != old.Path || eff.MaxAge != old.MaxAge {
		// A new handler only when what it checks changed: it also holds
		// the per-address failure limiter and the counters.
		a.handler.Store(a.newHandler(eff))
	}
	// Before Start nothing binds (Start will, with these settings), and
	// after Shutdown nothing may.
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
	if w == config.IPFToken {
		a.reloadIPF()
		a.publish(Change{Kind: StateChanged})
		return src, nil
	}
	if err := a.reloadSecrets(); err != nil {
		return src, err
	}
	a.publish(Change{Kind: StateChanged})
	return src, nil
}

func (a *App) applyNotifyToggles(s config.Settings) {
	for _, k := range NotifyKinds {
		a.center.SetEnabled(k.Kind, s.NotifyEnabled(string(k.Kind)))
	}
}

// NotifyKinds are the notification kinds the engineer can switch, in the
// order Settings shows them.
var NotifyKinds = []struct {
	Kind  notify.Kind
	Label string
}{
	{notify.SnapshotFailed, "Snapshot failed"},
	{notify.SnapshotCompleted, "Snapshot completed"},
	{notify.IntentCompleted, "Intent verification completed"},
	{notify.TestWebhook, "Test webhooks"},
	{notify.SignatureFailure, "Signature failures"},
	{notify.ApprovalPending, "Remediation awaiting approval"},
	{notify.RunEnded, "Remediation finished"},
}

// reloadSecrets reads both secrets and the rotation window into the set the
// listener consults on every request.
func (a *App) reloadSecrets() error {
	cur, _, err := a.secrets.Get(config.Current)
	if err != nil {
		return err
	}
	prev, _, err := a.secrets.Get(config.Previous)
	if err != nil {
		return err
	}
	a.mu.Lock()
	until := a.effective.PreviousSecretUntil
	a.mu.Unlock()
	a.secretSet.Store(&listener.SecretSet{Current: cur, Previous: prev, PreviousUntil: until})
	return nil
}

func retentionOf(s config.Settings) store.Retention {
	return store.Retention{
		Events:        time.Duration(s.RetainEvents),
		Rejections:    time.Duration(s.RetainRejections),
		MaxRejections: s.MaxRejections,
	}
}
