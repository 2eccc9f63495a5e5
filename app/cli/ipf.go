package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
)

// checkTimeout bounds `ipfwatch ipf check`: two calls of at most 15 s.
const checkTimeout = 40 * time.Second

// ipfFlags is `ipfwatch ipf check` and `ipfwatch ipf token --set-stdin`.
func ipfFlags(fs *flag.FlagSet) runner {
	fromStdin := fs.Bool("set-stdin", false, "with token: read the API token from standard input (first line) and store it in the OS keyring, or a file only you can read")
	clear := fs.Bool("clear", false, "with token: remove the stored API token")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		switch {
		case len(args) == 1 && args[0] == "check":
			return withApp(e, c, "ipf check", func(a *app.App) int { return ipfCheck(e, a) })
		case len(args) == 1 && args[0] == "token":
			return ipfToken(e, c, *fromStdin, *clear)
		}
		fmt.Fprintln(e.Stderr, "usage: ipfwatch ipf check | ipfwatch ipf token [--set-stdin | --clear]")
		return 2
	}
}

// ipfCheck prints IP Fabric's version, the API version used and the token's
// user; it exits 0 only when the token works, else 1 with the reason.
func ipfCheck(e *Env, a *app.App) int {
	cfg := a.IPFConfig()
	if cfg.URL == "" {
		return fail(e, "ipf check", fmt.Errorf("no IP Fabric URL: set IPF_URL (or --ipf-url, or the URL in Settings)"))
	}
	if cfg.Token == "" {
		return fail(e, "ipf check", fmt.Errorf("no API token: set IPF_TOKEN or run `ipfwatch ipf token --set-stdin`"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	info, err := a.TestIPF(ctx, cfg)
	if err != nil {
		return fail(e, "ipf check", err)
	}
	fmt.Fprintf(e.Stdout, "IP Fabric %s at %s\nAPI version %s\ntoken of user %s (%s)\ncertificate: %s\n",
		info.Release, cfg.URL, info.APIVersion, info.Username, ipf.Mask(cfg.Token), cfg.VerifyDescription())
	return 0
}

// ipfToken stores or clears the API token; it never prints it.
func ipfToken(e *Env, c *common, fromStdin, clear bool) int {
	st := config.NewSecretStore(c.dataDir, true)
	switch {
	case fromStdin == clear:
		if fromStdin {
			fmt.Fprintln(e.Stderr, "ipfwatch ipf token: --set-stdin and --clear exclude each other")
			return 2
		}
		v, src, err := st.Get(config.IPFToken)
		switch {
		case err != nil:
			return fail(e, "ipf token", err)
		case v == "":
			fmt.Fprintln(e.Stdout, "API token: not set")
		default:
			fmt.Fprintf(e.Stdout, "API token: %s, from the %s\n", ipf.Mask(v), src)
		}
		return 0
	case clear:
		if _, err := st.Set(config.IPFToken, ""); err != nil {
			return fail(e, "ipf token", err)
		}
		fmt.Fprintln(e.Stdout, "API token removed")
		return 0
	}
	if e.Getenv(config.EnvIPFToken) != "" {
		fmt.Fprintf(e.Stderr, "ipfwatch ipf token: %s is set and wins over a stored token; unset it first\n", config.EnvIPFToken)
		return 1
	}
	in := e.Stdin
	if in == nil {
		in = os.Stdin
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return fail(e, "ipf token", fmt.Errorf("read standard input: %w", err))
	}
	token := strings.TrimSpace(line)
	if token == "" {
		fmt.Fprintln(e.Stderr, "ipfwatch ipf token: standard input held no token")
		return 2
	}
	src, err := st.Set(config.IPFToken, token)
	if err != nil {
		return fail(e, "ipf token", err)
	}
	fmt.Fprintf(e.Stdout, "API token stored in the %s\n", src)
	return 0
}

// runEnrich is `ipfwatch enrich ID`: look the event up in IP Fabric's API
// again, now.
func runEnrich(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	id, ok := parseID(e, "enrich", args)
	if !ok {
		return 2
	}
	return withApp(e, c, "enrich", func(a *app.App) int {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r, err := a.Enricher().Redo(ctx, id)
		if err != nil {
			return fail(e, "enrich", fmt.Errorf("event %d: %w", id, err))
		}
		fmt.Fprintf(e.Stdout, "event %d: %s\n", id, describeResult(r))
		if r.State == "failed" {
			return 1
		}
		return 0
	})
}

// describeResult is an enrichment in one line.
func describeResult(r enrich.Result) string {
	switch r.State {
	case "done":
		var parts []string
		if s := r.Snapshot; s != nil {
			parts = append(parts, fmt.Sprintf("snapshot %q: %d devices, %d sites", s.Name, s.Devices, len(s.Sites)))
		}
		if r.Checks != nil {
			red := 0
			for _, k := range r.Checks {
				if k.Red > 0 {
					red++
				}
			}
			parts = append(parts, fmt.Sprintf("%d intent checks, %d red", len(r.Checks), red))
		}
		return "looked up: " + strings.Join(parts, "; ")
	case "failed":
		return fmt.Sprintf("lookup failed (attempt %d): %s", r.Attempts, r.Reason)
	}
	return r.State + ": " + r.Reason
}

// catchUpFlags is `ipfwatch catch-up [--since 24h]`.
func catchUpFlags(fs *flag.FlagSet) runner {
	since := fs.Duration("since", 24*time.Hour, "look for snapshots finished within this long")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		if !noArgs(e, "catch-up", args) {
			return 2
		}
		if *since <= 0 {
			fmt.Fprintln(e.Stderr, "ipfwatch catch-up: --since must be positive")
			return 2
		}
		return withApp(e, c, "catch-up", func(a *app.App) int {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			added, err := a.CatchUp(ctx, time.Now().Add(-*since))
			for _, ev := range added {
				name := ev.SnapshotName
				if name == "" {
					name = ev.SnapshotID
				}
				fmt.Fprintf(e.Stdout, "added event %d: %s %s %s, snapshot %s\n", ev.ID, ev.Type, ev.Action, ev.Status, name)
			}
			if err != nil {
				return fail(e, "catch-up", err)
			}
			if len(added) == 0 {
				fmt.Fprintln(e.Stdout, "nothing to catch up: every snapshot finished since then has its event")
			}
			return 0
		})
	}
}
