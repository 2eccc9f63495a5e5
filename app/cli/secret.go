package cli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ipfwatch/ipfwatch/app/config"
)

// secretFlags is `ipfwatch secret`: for headless setups, where there is no
// Settings view. It never prints a stored secret; --generate prints the new
// one once, because it has to be pasted into IP Fabric.
func secretFlags(fs *flag.FlagSet) runner {
	generate := fs.Bool("generate", false, "generate a new secret, store it, and print it once to paste into IP Fabric; the old one becomes the previous secret")
	fromStdin := fs.Bool("set-stdin", false, "read the new secret from standard input (first line) and store it; the old one becomes the previous secret")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int {
		if len(args) > 0 {
			fmt.Fprintf(e.Stderr, "ipfwatch secret: unexpected argument %q\n", args[0])
			return 2
		}
		if *generate && *fromStdin {
			fmt.Fprintln(e.Stderr, "ipfwatch secret: --generate and --set-stdin exclude each other")
			return 2
		}
		st := config.NewSecretStore(c.dataDir, true)
		if !*generate && !*fromStdin {
			for _, w := range []config.Which{config.Current, config.Previous} {
				v, src, err := st.Get(w)
				switch {
				case err != nil:
					fmt.Fprintf(e.Stdout, "%s secret: unreadable: %v\n", w, err)
				case v == "":
					fmt.Fprintf(e.Stdout, "%s secret: not set\n", w)
				default:
					fmt.Fprintf(e.Stdout, "%s secret: set (%d characters), from the %s\n", w, len(v), src)
				}
			}
			return 0
		}
		if v := e.Getenv(config.EnvSecret); v != "" {
			fmt.Fprintf(e.Stderr, "ipfwatch secret: %s is set and wins over a stored secret; unset it first\n", config.EnvSecret)
			return 1
		}
		var secret string
		if *generate {
			secret = config.GenerateSecret()
		} else {
			in := e.Stdin
			if in == nil {
				in = os.Stdin
			}
			line, err := bufio.NewReader(in).ReadString('\n')
			if err != nil && err != io.EOF {
				fmt.Fprintf(e.Stderr, "ipfwatch secret: read standard input: %v\n", err)
				return 1
			}
			secret = strings.TrimSpace(line)
			if secret == "" {
				fmt.Fprintln(e.Stderr, "ipfwatch secret: standard input held no secret")
				return 2
			}
		}
		// Keep the old secret as the previous one, so IP Fabric can be
		// switched over without refused deliveries.
		if old, _, err := st.Get(config.Current); err == nil && old != "" && old != secret {
			if _, err := st.Set(config.Previous, old); err != nil {
				fmt.Fprintf(e.Stderr, "ipfwatch secret: keep the previous secret: %v\n", err)
				return 1
			}
		}
		src, err := st.Set(config.Current, secret)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch secret: %v\n", err)
			return 1
		}
		if *generate {
			fmt.Fprintf(e.Stdout, "%s\n", secret)
			fmt.Fprintf(e.Stderr, "stored in the %s; paste it into IP Fabric (Settings > Integration > Webhooks). A running ipfwatch puts it in force within seconds.\n", src)
		} else {
			fmt.Fprintf(e.Stdout, "stored in the %s\n", src)
		}
		return 0
	}
}
