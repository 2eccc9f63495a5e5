package app

import (
	"context"
	"path/filepath"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/dirwatch"
)

// startWatch puts a secret or API token stored by another process
// (`ipfwatch secret --generate` or `ipfwatch ipf token --set-stdin` next to
// a running `ipfwatch serve`) in force without a restart. Only the 0600
// files are watched: they are what a headless setup
// uses, where asking the keyring would be a D-Bus round trip. The files are
// watched with the OS's file events, so an idle ipfwatch never wakes for
// them.
func (a *App) startWatch(context.Context) error {
	token := filepath.Base(config.SecretFile(a.opts.DataDir, config.IPFToken))
	names := []string{
		filepath.Base(config.SecretFile(a.opts.DataDir, config.Current)),
		filepath.Base(config.SecretFile(a.opts.DataDir, config.Previous)),
		token,
	}
	w, err := dirwatch.Watch(a.opts.DataDir, names, func(name string) {
		if name == token {
			a.reloadIPF()
			a.log.Info("IP Fabric API token reloaded from the data directory")
			a.publish(Change{Kind: StateChanged})
			return
		}
		if err := a.reloadSecrets(); err != nil {
			a.log.Error("secret files changed but cannot be read", "err", err)
			return
		}
		a.log.Info("webhook secrets reloaded from the data directory")
		a.publish(Change{Kind: StateChanged})
	})
	if err != nil {
		return err
	}
	if w.Polling() {
		a.log.Warn("no file events for the data directory: looking at the secret files every few seconds", "every", dirwatch.PollEvery)
	}
	a.secretWatch = w
	return nil
}

func (a *App) stopWatch(context.Context) error {
	err := a.secretWatch.Close()
	a.secretWatch = nil
	return err
}
