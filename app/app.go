// Package app is the core that the tray UI and the CLI drive. It owns the
// store, the notification center, remediation and the webhook listener's
// server, implements the listener's Sink, and announces what happened to
// subscribers. Nothing here imports Fyne.
//
// Files by job: app.go builds an App, lifecycle.go starts and stops
// everything it runs, sink.go is what happens to a delivery, broadcast.go
// the fan-out of changes, status.go and controls.go what the tray shows and
// does, settings.go the settings and secrets, server.go the bound listener,
// watch.go the data directory watch.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/dirwatch"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/notify"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener"
)

// Options builds an App. DataDir is required; everything else has a default.
type Options struct {
	DataDir   string
	DBPath    string // default config.DBPath(DataDir)
	Overrides config.Overrides
	// UseKeyring lets secrets live in the OS keyring where there is one
	// (the tray app, serve and the CLI: all read the same store); without
	// it only the environment and the 0600 files count (tests).
	UseKeyring bool
	Sender     notify.Sender // default notify.Beeep
	Now        func() time.Time
	Logger     *slog.Logger
	// NoRunner keeps this process from running approved remediations (CLI
	// commands that only read or decide).
	NoRunner bool
}

// App is one running ipfwatch: listener, store, notifications, remediation.
//
// Its state is guarded in two layers. changeMu serialises whatever changes
// what runs: Start, Shutdown, settings changes and the binds they cause, so
// the listener ends up where the last change says and nothing starts after
// Shutdown. mu guards the fields Status reads, for short sections only. The
// atomics are what every request reads: the handler, the secrets and the
// pause switch.
type App struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	store   *store.Store
	center  *notify.Center
	rem     *remediation.Manager
	enrich  *enrich.Enricher
	secrets *config.SecretStore
	bus     broadcaster
	post    postQueue

	handler   atomic.Pointer[listener.Handler]
	secretSet atomic.Pointer[listener.SecretSet]
	paused    atomic.Bool
	// seenRejectionID is the newest rejection the engineer has looked at.
	seenRejectionID atomic.Int64

	// Guarded by changeMu: the phase, Start's context, and the groups of
	// goroutines that settings changes restart.
	changeMu    sync.Mutex
	phase       phase
	ctx         context.Context
	serving     *runGroup // the bound servers, and those a rebind is retiring
	retention   *runGroup // the retention loop
	secretWatch *dirwatch.Watcher
	catching    *runGroup // the catch-up loop
	// catchUpBehind: the last catch-up failed. Written by the catch-up
	// loop, read by stopCatchUp once the loop has ended.
	catchUpBehind bool
	reconf        chan struct{} // the API configuration changed: tells the catch-up loop

	mu        sync.Mutex
	saved     config.Settings // as in settings.json
	effective config.Settings // saved + overrides
	srv       *server
	listenErr error
	// The IP Fabric API client in force (nil while not configured, and
	// ipfErr says why), and what the last catch-up added.
	ipfClient  *ipf.Client
	ipfErr     string
	caughtUp   int
	caughtUpAt time.Time
}

// phase is where an App is in its life: opened, started, shut down.
type phase int

const (
	opened phase = iota
	started
	stopped
)

// Open loads settings and secrets, opens the store and builds the parts.
// It starts nothing: call Start. An App that is never started must still be
// shut down, to close the store.
func Open(o Options) (*App, error) {
	if o.DataDir == "" {
		return nil, errors.New("no data directory")
	}
	if o.DBPath == "" {
		o.DBPath = config.DBPath(o.DataDir)
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
	a := &App{opts: o, log: o.Logger, now: o.Now, reconf: make(chan struct{}, 1)}
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
		DataDir:       o.DataDir,
		Notifier:      a.center,
		OnChange:      a.onRemediationChange,
		Now:           o.Now,
		MaxConcurrent: a.effective.MaxConcurrentRuns,
		Logger:        o.Logger,
	})
	if err != nil {
		a.center.Close()
		st.Close()
		return nil, err
	}

	a.reloadIPF()
	a.enrich = enrich.New(st, enrich.Options{Client: a.enrichClient, Done: a.onEnriched, Now: o.Now, Logger: o.Logger})
	// Catch-up never asks for anything older than the first use of this
	// data directory.
	if err := st.SetMetaTime(context.Background(), store.MetaFirstUsed, o.Now(), true); err != nil {
		a.log.Warn("cannot record the first use of the data directory", "err", err)
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

// Store gives the UI and CLI their paged queries.
func (a *App) Store() *store.Store { return a.store }

// Remediation gives the UI and CLI rules, proposals and runs.
func (a *App) Remediation() *remediation.Manager { return a.rem }

// DataDir is where everything ipfwatch keeps lives.
func (a *App) DataDir() string { return a.opts.DataDir }

// Subscribe returns a mailbox of changes; Close it when done.
func (a *App) Subscribe() *Subscription { return a.bus.subscribe() }

func (a *App) publish(c Change) { a.bus.publish(c) }

func (a *App) onRemediationChange(c remediation.Change) {
	switch c.Kind {
	case remediation.ChangeProposal:
		a.publish(Change{Kind: ProposalChanged, ID: c.ProposalID})
	case remediation.ChangeRun:
		a.publish(Change{Kind: RunChanged, ID: c.RunID})
	case remediation.ChangeOutput:
		a.publish(Change{Kind: RunOutput, ID: c.RunID})
	case remediation.ChangeRules:
		a.publish(Change{Kind: RulesChanged})
	}
}

// Enricher looks events up in IP Fabric's API (Look up again).
func (a *App) Enricher() *enrich.Enricher { return a.enrich }
