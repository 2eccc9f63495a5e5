// Package app is the core that the tray UI and the CLI drive. It owns the
// store, the notification center, remediation and the webhook listener's
// server, implements the listener's Sink, and announces what happened to
// subscribers. Nothing here imports Fyne.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener"
)

// Options builds an App. DataDir is required; everything else has a default.
type Options struct {
	DataDir   string
	DBPath    string // default DataDir/ipfwatch.db
	Overrides config.Overrides
	// UseKeyring lets secrets live in the OS keyring (the tray app); the
	// headless server and the CLI keep to the environment and the 0600 file.
	UseKeyring bool
	Sender     notify.Sender // default notify.Beeep
	Now        func() time.Time
	Logger     *slog.Logger
	// NoRunner keeps this process from running approved remediations (CLI
	// commands that only read or decide).
	NoRunner bool
}

// App is one running ipfwatch: listener, store, notifications, remediation.
type App struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	store   *store.Store
	center  *notify.Center
	rem     *remediation.Manager
	secrets *config.SecretStore
	handler atomic.Pointer[listener.Handler]
	bus     broadcaster
	post    postQueue

	mu        sync.Mutex
	saved     config.Settings // as in settings.json
	effective config.Settings // saved + overrides
	secretSet atomic.Pointer[listener.SecretSet]
	// secretStamp is secretFilesStamp as of the last read of the secrets.
	secretStamp atomic.Value
	srv         *server
	listenErr   error

	// bindMu serialises binds and Shutdown, so two settings changes never
	// bind at once and nothing binds after Shutdown.
	bindMu   sync.Mutex
	applyMu  sync.Mutex // serialises ApplySettings
	started  atomic.Bool
	stopped  atomic.Bool
	retiring sync.WaitGroup // replaced servers finishing their requests

	paused          atomic.Bool
	seenRejectionID atomic.Int64

	stopOnce  sync.Once
	cancel    context.CancelFunc
	runCtx    context.Context    // Start's context; guarded by mu
	retCancel context.CancelFunc // stops the current retention loop; guarded by mu
	wg        sync.WaitGroup     // retention and other background loops
	postWG    sync.WaitGroup     // the post-processing worker
}

// Open loads settings and secrets, opens the store and builds the parts.
// It starts nothing: call Start.
func Open(o Options) (*App, error) {
	if o.DataDir == "" {
		return nil, errors.New("no data directory")
	}
	if o.DBPath == "" {
		o.DBPath = filepath.Join(o.DataDir, "ipfwatch.db")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	a := &App{opts: o, log: o.Logger, now: o.Now}
	saved, err := config.LoadSettings(config.SettingsFile(o.DataDir))
	if err != nil {
		// A broken settings file must not keep the listener down: run on
		// defaults and say so.
		a.log.Error("settings file unreadable, using defaults", "err", err)
	}
	a.saved = saved
	a.effective = o.Overrides.Apply(saved)
	if err := a.effective.Validate(); err != nil {
		return nil, err
	}

	a.secrets = config.NewSecretStore(o.DataDir, o.UseKeyring)
	if err := a.reloadSecrets(); err != nil {
		return nil, err
	}

	st, err := store.Open(o.DBPath)
	if err != nil {
		return nil, err
	}
	a.store = st

	sender := o.Sender
	if sender == nil {
		sender = &notify.Beeep{AppName: "ipfwatch"}
	}
	a.center = notify.NewCenter(sender, notify.Options{Now: o.Now, Logger: o.Logger,
		// The status bar shows the last notification failure: tell it.
		OnHealth: func(error) { a.publish(Change{Kind: StateChanged}) }})
	a.applyNotifyToggles(a.effective)

	a.rem, err = remediation.NewManager(st, remediation.Options{
		RulesPath:     filepath.Join(o.DataDir, "remediations.yaml"),
		DataDir:       o.DataDir,
		Notifier:      a.center,
		OnChange:      a.onRemediationChange,
		Now:           o.Now,
		MaxConcurrent: a.effective.MaxConcurrentRuns,
		Logger:        o.Logger,
	})
	if err != nil {
		st.Close()
		return nil, err
	}

	a.handler.Store(a.newHandler(a.effective))
	// Rejections recorded before this start have been seen by whoever ran
	// ipfwatch then; only new ones make the tray ask for attention.
	if _, rej, err := st.LatestIDs(context.Background()); err == nil {
		a.seenRejectionID.Store(rej)
	}
	return a, nil
}

func (a *App) newHandler(s config.Settings) *listener.Handler {
	return listener.NewHandler(listener.Config{
		Path:    s.Path,
		MaxAge:  time.Duration(s.MaxAge),
		Secrets: func() listener.SecretSet { return *a.secretSet.Load() },
		Paused:  a.paused.Load,
		Now:     a.now,
		Logger:  a.log,
	}, a)
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
	a.secretStamp.Store(a.secretFilesStamp())
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

// Start binds the listener and starts the background work: post-processing,
// retention, and the remediation runner. A listener that cannot bind is not
// an error here: the state says so and the UI shows it; Start fails only
// when the app cannot work at all.
func (a *App) Start(ctx context.Context) error {
	if a.stopped.Load() || !a.started.CompareAndSwap(false, true) {
		return errors.New("app already started or shut down")
	}
	ctx, a.cancel = context.WithCancel(ctx)
	a.post.start(&a.postWG, a.processPost)
	a.mu.Lock()
	a.runCtx = ctx
	a.restartRetentionLocked(retentionOf(a.effective))
	a.mu.Unlock()
	a.wg.Add(1)
	go a.watchSecretFiles(ctx)
	if !a.opts.NoRunner {
		if err := a.rem.Start(ctx); err != nil {
			return fmt.Errorf("start remediation runner: %w", err)
		}
	}
	a.mu.Lock()
	s := a.effective
	a.mu.Unlock()
	if err := a.bind(s); err != nil {
		a.log.Error("listener not started", "addr", s.Listen, "err", err)
	}
	if a.secretSet.Load().Current == "" {
		a.log.Warn("no webhook secret configured: every delivery is answered 503 until one is set",
			"how", "run `ipfwatch secret --generate`, set the secret in Settings, or set "+config.EnvSecret)
	}
	return nil
}

// restartRetentionLocked (re)starts the retention loop with r, so a
// changed retention applies at once rather than at the next restart.
// Call it with a.mu held, after Start.
func (a *App) restartRetentionLocked(r store.Retention) {
	if a.runCtx == nil || a.runCtx.Err() != nil {
		return
	}
	if a.retCancel != nil {
		a.retCancel()
	}
	ctx, cancel := context.WithCancel(a.runCtx)
	a.retCancel = cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.store.RunRetention(ctx, r, time.Hour, a.now, a.log)
	}()
}

func retentionOf(s config.Settings) store.Retention {
	return store.Retention{
		Events:        time.Duration(s.RetainEvents),
		Rejections:    time.Duration(s.RetainRejections),
		MaxRejections: s.MaxRejections,
	}
}

// Shutdown stops the listener gracefully (in-flight requests finish), lets
// post-processing drain, stops remediation (a run still going is stopped
// and recorded as interrupted) and closes the store after its last commit.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	a.stopOnce.Do(func() {
		a.bindMu.Lock()
		a.stopped.Store(true)
		a.mu.Lock()
		srv := a.srv
		a.srv = nil
		a.mu.Unlock()
		a.bindMu.Unlock()
		if srv != nil {
			err = errors.Join(err, srv.shutdown(ctx))
		}
		// A server replaced by a rebind may still be finishing requests:
		// they commit before the store closes.
		a.retiring.Wait()
		// Work queued by answered deliveries (proposals above all) is done
		// before remediation stops.
		a.post.close()
		a.postWG.Wait()
		// Under mu, so no settings change starts a retention loop after it.
		a.mu.Lock()
		if a.cancel != nil {
			a.cancel()
		}
		a.mu.Unlock()
		err = errors.Join(err, a.rem.Close())
		a.wg.Wait()
		a.center.Close()
		err = errors.Join(err, a.store.Close())
	})
	return err
}

// Store gives the UI and CLI their paged queries.
func (a *App) Store() *store.Store { return a.store }

// Remediation gives the UI and CLI rules, proposals and runs.
func (a *App) Remediation() *remediation.Manager { return a.rem }

// Notifications gives the UI mute state and the last notification error.
func (a *App) Notifications() *notify.Center { return a.center }

// DataDir is where everything ipfwatch keeps lives.
func (a *App) DataDir() string { return a.opts.DataDir }

// Subscribe returns a channel of changes and a function to stop them.
func (a *App) Subscribe() (<-chan Change, func()) { return a.bus.subscribe() }

func (a *App) publish(c Change) { a.bus.publish(c) }

func (a *App) onRemediationChange(c remediation.Change) {
	switch c.Kind {
	case "proposal":
		a.publish(Change{Kind: ProposalChanged, ID: c.ProposalID})
	case "run":
		a.publish(Change{Kind: RunChanged, ID: c.RunID})
	case "output":
		a.publish(Change{Kind: RunOutput, ID: c.RunID})
	case "rules":
		a.publish(Change{Kind: RulesChanged})
	}
}
