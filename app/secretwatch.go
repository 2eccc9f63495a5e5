package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// secretPollEvery is how often the app looks at the secret files.
const secretPollEvery = 2 * time.Second

// watchSecretFiles puts a secret stored by another process (`ipfwatch
// secret --generate` next to a running `ipfwatch serve`) in force without a
// restart. Only the 0600 files are watched: they are what a headless setup
// uses, and a stat costs nothing, where asking the keyring every few
// seconds would be a D-Bus round trip.
//
// reloadSecrets records the files' stamp just before it reads them, so any
// change after that read, even one made before this goroutine first looks,
// shows as a different stamp.
func (a *App) watchSecretFiles(ctx context.Context) {
	defer a.wg.Done()
	t := time.NewTicker(secretPollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a.secretFilesStamp() != a.secretStamp.Load() {
			if err := a.reloadSecrets(); err != nil {
				a.log.Error("secret files changed but cannot be read", "err", err)
				continue
			}
			a.log.Info("webhook secrets reloaded from the data directory")
			a.publish(Change{Kind: StateChanged})
		}
	}
}

// secretFilesStamp identifies the secret files' current versions.
func (a *App) secretFilesStamp() string {
	var s string
	for _, n := range []string{"secret.current", "secret.previous"} {
		if fi, err := os.Stat(filepath.Join(a.opts.DataDir, n)); err == nil {
			s += fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size())
		}
		s += "|"
	}
	return s
}
