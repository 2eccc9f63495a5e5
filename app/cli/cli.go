// Package cli is ipfwatch's command line: the headless server, the event
// and failure log, the test sender and the remediation commands. main only
// hands it the arguments and the GUI to start when no command is given.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/instance"
	"github.com/ipfwatch/ipfwatch/app/version"
)

// GUI starts the tray application on an open App and returns the exit code
// when the engineer quits. Each value on raised asks it to bring its window
// up: another start of the tray app on the same data directory. main
// passes ui.Run.
type GUI func(a *app.App, log *slog.Logger, raised <-chan struct{}) int

// Env is what a command sees of its process; tests fill it in.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin is standard input; nil means os.Stdin.
	Stdin  io.Reader
	Getenv func(string) string
	// GUI starts the tray app; nil means this binary has none.
	GUI GUI
	// Signals delivers interrupt/terminate; nil means os/signal's.
	Signals <-chan os.Signal
}

// runner runs a parsed command.
type runner func(e *Env, c *common, fs *flag.FlagSet, args []string) int

type command struct {
	name, args, summary string
	// setup registers the command's own flags and returns the runner that
	// reads them.
	setup func(fs *flag.FlagSet) runner
}

// plain is the setup of a command without flags of its own.
func plain(r runner) func(*flag.FlagSet) runner { return func(*flag.FlagSet) runner { return r } }

var commands []command

func init() {
	commands = []command{
		{name: "serve", summary: "run the listener and store headless, logging to stderr", setup: plain(runServe)},
		{name: "log", args: "[--failures] [--json] [--limit N] [--since 24h]", summary: "print stored events or rejected deliveries, newest first", setup: logFlags},
		{name: "send", args: "[--url U] [--secret S] [--type T] [--action A] [--status S] [--test] [--bad-signature] [--curl]", summary: "send a signed IP Fabric-style webhook and print the answer", setup: sendFlags},
		{name: "proposals", args: "[--json] [--state S]", summary: "list remediation proposals", setup: proposalsFlags},
		{name: "approve", args: "ID", summary: "approve a pending proposal and run it (here, if no ipfwatch is running)", setup: plain(runApprove)},
		{name: "reject", args: "ID [--comment TEXT]", summary: "reject a pending proposal", setup: rejectFlags},
		{name: "runs", args: "[--json]", summary: "list remediation runs", setup: runsFlags},
		{name: "run-output", args: "ID", summary: "print a run's captured output", setup: plain(runOutput)},
		{name: "secret", args: "[--generate | --set-stdin]", summary: "show where the webhook secret comes from, or store a new one", setup: secretFlags},
		{name: "ipf", args: "check|token [--set-stdin | --clear]", summary: "check IP Fabric's API (version, token's user), or store its API token", setup: ipfFlags},
		{name: "enrich", args: "ID", summary: "look an event up in IP Fabric's API again, now", setup: plain(runEnrich)},
		{name: "catch-up", args: "[--since 24h]", summary: "store the events of snapshots that finished while no webhook came", setup: catchUpFlags},
		{name: "autostart", args: "on|off", summary: "start the tray app at login, or not; \"autostart status\" says which", setup: plain(runAutostart)},
		{name: "version", summary: "print the version, commit and Go version (also --version)", setup: plain(runVersion)},
	}
}

// Run runs ipfwatch with args (without the program name) and returns the
// exit code.
func Run(args []string, e Env) int {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	name, args := splitCommand(args)
	if name == "" && len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		name, args = "version", nil
	}
	if name == "help" {
		usage(e.Stdout)
		return 0
	}
	var cmd *command
	if name == "" {
		cmd = &command{name: "ipfwatch", setup: plain(runGUI)}
	} else {
		for i := range commands {
			if commands[i].name == name {
				cmd = &commands[i]
			}
		}
		if cmd == nil {
			fmt.Fprintf(e.Stderr, "ipfwatch: unknown command %q\n\n", name)
			usage(e.Stderr)
			return 2
		}
	}
	fs := flag.NewFlagSet("ipfwatch "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c common
	c.register(fs, e.Getenv)
	if c.envErr != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch %s: %v\n", cmd.name, c.envErr)
		return 2
	}
	run := cmd.setup(fs)
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		if name == "" {
			usage(e.Stdout)
		} else {
			fmt.Fprintf(e.Stdout, "usage: ipfwatch %s %s\n\n%s\n\nflags:\n", cmd.name, cmd.args, cmd.summary)
			fs.SetOutput(e.Stdout)
			fs.PrintDefaults()
		}
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch %s: %v\n", cmd.name, err)
		return 2
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	return run(&e, &c, fs, pos)
}

// splitCommand finds the command name, which may follow flags every
// command takes (`ipfwatch --data-dir /x log --json`), and returns it with
// the remaining arguments. Without a command it returns "" and args.
func splitCommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			if a != "help" && !isCommand(a) {
				if i == 0 {
					return a, args[1:] // reported as an unknown command
				}
				break
			}
			return a, append(append([]string(nil), args[:i]...), args[i+1:]...)
		}
		flagName := strings.TrimLeft(a, "-")
		if strings.Contains(flagName, "=") {
			continue
		}
		if !isCommonFlag(flagName) {
			break // a command's own flag: the command must come first
		}
		i++ // skip the flag's value
	}
	return "", args
}

func isCommand(name string) bool {
	for _, c := range commands {
		if c.name == name {
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprint(w, `ipfwatch: verified IP Fabric webhooks, a durable event log, desktop
notifications and remediation by approval, from your tray.

usage:
  ipfwatch [flags]               start the tray app (runs "serve" where there is no display)
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  ipfwatch %-22s %s\n", c.name+" "+firstWord(c.args), c.summary)
	}
	fmt.Fprint(w, `
flags for every command (each also read from IPFWATCH_<NAME>, e.g. IPFWATCH_DATA_DIR):
`)
	fs := flag.NewFlagSet("ipfwatch", flag.ContinueOnError)
	var c common
	c.register(fs, func(string) string { return "" })
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
secrets: IPF_WEBHOOK_SECRET (and IPF_WEBHOOK_SECRET_PREVIOUS while rotating), or the
Settings view of the tray app, or the file <data-dir>/secret.current (mode 0600).
IP Fabric's API: IPF_URL, IPF_TOKEN and IPF_VERIFY, as IP Fabric's Python SDK reads them
(or --ipf-url, --ipf-verify, Settings, and "ipfwatch ipf token --set-stdin").
"ipfwatch COMMAND --help" shows a command's own flags.
`)
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 && !strings.HasPrefix(s, "[") {
		return s[:i]
	}
	if strings.HasPrefix(s, "[") {
		return ""
	}
	return s
}

// openApp opens the App for a command from the common flags.
func openApp(c *common, fs *flag.FlagSet, log *slog.Logger) (*app.App, error) {
	return app.Open(app.Options{
		DataDir:    c.dataDir,
		DBPath:     c.db,
		Overrides:  c.overrides(fs),
		UseKeyring: true,
		Logger:     log,
	})
}

// hasDisplay reports whether a GUI can start. On Linux and the BSDs that
// needs an X11 or Wayland display; macOS and Windows always have one.
func hasDisplay(goos string, getenv func(string) string) bool {
	switch goos {
	case "darwin", "windows", "android", "ios":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

func runGUI(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.Stderr, "ipfwatch: unexpected argument %q\n", args[0])
		return 2
	}
	if e.GUI == nil || !hasDisplay(runtime.GOOS, e.Getenv) {
		fmt.Fprintln(e.Stderr, "ipfwatch: no display (DISPLAY and WAYLAND_DISPLAY are unset): running headless, as \"ipfwatch serve\"")
		return runServe(e, c, fs, nil)
	}
	// One tray app per data directory: a second start brings the first
	// one's window up and leaves.
	inst, err := instance.Acquire(c.dataDir)
	if re, ok := errors.AsType[*instance.RunningError](err); ok {
		switch rerr := instance.Raise(c.dataDir); {
		case rerr == nil:
			fmt.Fprintf(e.Stderr, "ipfwatch: %v: showed its window\n", re)
			return 0
		case errors.Is(rerr, instance.ErrHeadless):
			fmt.Fprintf(e.Stderr, "ipfwatch: %v; stop it to use the tray app\n", re)
		default:
			fmt.Fprintf(e.Stderr, "ipfwatch: %v, and it did not answer: %v\n", re, rerr)
		}
		return 1
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch: %v\n", err)
		return 1
	}
	defer inst.Close()
	log := slog.New(slog.NewTextHandler(e.Stderr, nil))
	a, err := openApp(c, fs, log)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch: %v\n", err)
		return 1
	}
	return e.GUI(a, log, inst.Raised())
}

func runServe(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.Stderr, "ipfwatch serve: unexpected argument %q\n", args[0])
		return 2
	}
	// Heard from the start: a SIGTERM while starting still shuts down
	// gracefully.
	sig := e.Signals
	if sig == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		sig = ch
	}
	log := slog.New(slog.NewTextHandler(e.Stderr, nil))
	// One serving ipfwatch per data directory: a second one says which is
	// running, at once, rather than failing later on the busy port.
	inst, err := instance.AcquireHeadless(c.dataDir)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer inst.Close()
	// The keyring too, so a secret set in the tray app's Settings serves
	// here; NewSecretStore skips it where there is no session bus.
	a, err := openApp(c, fs, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := a.Start(ctx); err != nil {
		log.Error("cannot start", "err", err)
		a.Shutdown(context.Background())
		return 1
	}
	if st := a.Status(ctx); st.State == app.StateError && st.Addr == "" {
		log.Error("listener not running", "err", st.Error)
		a.Shutdown(context.Background())
		return 1
	}
	log.Info("ipfwatch serving", "addr", a.Addr(), "data_dir", c.dataDir)
	s := <-sig
	log.Info("shutting down", "signal", s.String())
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	if err := a.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

func runVersion(e *Env, _ *common, _ *flag.FlagSet, _ []string) int {
	fmt.Fprintln(e.Stdout, version.Get())
	return 0
}

// secretFor finds the current secret the way the listener does: the
// environment, the keyring (only where a session bus exists, so nothing is
// autolaunched), the 0600 file.
func secretFor(c *common, getenv func(string) string) string {
	if v := getenv(config.EnvSecret); v != "" {
		return v
	}
	v, _, _ := config.NewSecretStore(c.dataDir, true).Get(config.Current)
	return v
}
