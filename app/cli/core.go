package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/notify"
)

// withApp opens the App for a command that reads or decides, runs fn on it
// and shuts it down. Such an App is never started: it serves nothing, runs
// no remediation by itself and notifies no one, so it can sit beside a
// running ipfwatch on the same data directory. Errors are printed as
// "ipfwatch CMD: ..." and exit 1. The listener's flags do not apply: such a
// command serves nothing, so a bad --listen must not stop it.
func withApp(e *Env, c *common, cmd string, fn func(a *app.App) int) int {
	a, err := app.Open(app.Options{
		DataDir: c.dataDir,
		DBPath:  c.db,
		// IP Fabric's API settings apply: catch-up and lookups use them.
		Overrides: c.ipfOverrides(),
		// The keyring too, where a session bus exists: the tray app keeps
		// the API token there.
		UseKeyring: true,
		Sender:     notify.Nowhere{},
		Logger:     warnLogger(e.Stderr),
		NoRunner:   true,
	})
	if err != nil {
		return fail(e, cmd, err)
	}
	defer a.Shutdown(context.Background())
	return fn(a)
}

// fail prints err for command cmd and returns the exit code 1.
func fail(e *Env, cmd string, err error) int {
	fmt.Fprintf(e.Stderr, "ipfwatch %s: %v\n", cmd, err)
	return 1
}

// noArgs refuses positional arguments for a command that takes none.
func noArgs(e *Env, cmd string, args []string) bool {
	if len(args) > 0 {
		fmt.Fprintf(e.Stderr, "ipfwatch %s: unexpected argument %q\n", cmd, args[0])
		return false
	}
	return true
}

// warnLogger logs warnings and errors only: a one-shot command's output is
// its answer, not the core's chatter.
func warnLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
