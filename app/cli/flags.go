package cli

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf"
)

// common holds the flags every command takes. Each has an IPFWATCH_<NAME>
// environment variable; a flag given on the command line wins over it.
type common struct {
	listen, dataDir, db, path, tlsCert, tlsKey string
	ipfURL, ipfVerify                          string
	maxAge                                     time.Duration
	set                                        map[string]bool // flags or env vars given
	ipfEnv                                     ipf.Config      // IPF_URL, IPF_VERIFY (IPF_TOKEN is a secret)
	// envErr is an IPFWATCH_* variable that could not be read; the
	// command refuses to run rather than silently ignore it.
	envErr error
}

// isCommonFlag reports whether name is one of the flags every command
// takes (they may stand before the command name, and all take a value),
// read off what register defines so the two never disagree.
func isCommonFlag(name string) bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var c common
	c.register(fs, func(string) string { return "" })
	return fs.Lookup(name) != nil
}

// envName is the environment variable for a flag: --data-dir -> IPFWATCH_DATA_DIR.
func envName(flagName string) string {
	return "IPFWATCH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string) {
	c.set = map[string]bool{}
	str := func(p *string, name, def, usage string) {
		v := def
		if e := getenv(envName(name)); e != "" {
			v = e
			c.set[name] = true
		}
		fs.StringVar(p, name, v, usage+" (env "+envName(name)+")")
	}
	str(&c.listen, "listen", ":8000", "address the webhook listener binds, host:port or :port")
	str(&c.dataDir, "data-dir", config.DefaultDataDir(), "directory for everything ipfwatch keeps: DB, settings, rules, secret file")
	str(&c.db, "db", "", "SQLite database file (default <data-dir>/ipfwatch.db)")
	str(&c.path, "path", "/ipfabric", "URL path IP Fabric posts webhooks to")
	str(&c.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key the listener serves HTTPS")
	str(&c.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	// IP Fabric's own variables, as its Python SDK reads them, come after
	// ours: --ipf-url, then IPFWATCH_IPF_URL, then IPF_URL.
	c.ipfEnv = ipf.ConfigFromEnv(getenv)
	str(&c.ipfURL, "ipf-url", "", "IP Fabric's address for its REST API, e.g. https://ipfabric.example.com (also IPF_URL)")
	str(&c.ipfVerify, "ipf-verify", "", "how IP Fabric's certificate is checked: true, false, or a PEM file to trust (also IPF_VERIFY)")
	maxAge := time.Hour
	if e := getenv(envName("max-age")); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil {
			c.envErr = fmt.Errorf("%s=%q: not a duration (e.g. 1h, 30m, 0)", envName("max-age"), e)
		} else {
			maxAge = d
			c.set["max-age"] = true
		}
	}
	fs.DurationVar(&c.maxAge, "max-age", maxAge, "refuse events older than this as stale; 0 turns the check off (env IPFWATCH_MAX_AGE)")
}

// overrides are the settings fixed by a flag or environment variable.
func (c *common) overrides(fs *flag.FlagSet) config.Overrides {
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	var o config.Overrides
	if c.set["listen"] {
		o.Listen = &c.listen
	}
	if c.set["path"] {
		o.Path = &c.path
	}
	if c.set["max-age"] {
		o.MaxAge = &c.maxAge
	}
	if c.set["tls-cert"] {
		o.TLSCert = &c.tlsCert
	}
	if c.set["tls-key"] {
		o.TLSKey = &c.tlsKey
	}
	ipfo := c.ipfOverrides()
	o.IPFURL, o.IPFVerify = ipfo.IPFURL, ipfo.IPFVerify
	return o
}

// ipfOverrides are IP Fabric's API settings fixed by a flag, an
// IPFWATCH_* variable or IP Fabric's own IPF_URL and IPF_VERIFY, in that
// order. Call it after the flags are parsed.
func (c *common) ipfOverrides() config.Overrides {
	var o config.Overrides
	switch {
	case c.set["ipf-url"]:
		o.IPFURL = &c.ipfURL
	case c.ipfEnv.URL != "":
		o.IPFURL = &c.ipfEnv.URL
	}
	switch {
	case c.set["ipf-verify"]:
		o.IPFVerify = &c.ipfVerify
	case c.ipfEnv.Verify != "":
		o.IPFVerify = &c.ipfEnv.Verify
	}
	return o
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments (`ipfwatch reject 7 --comment "not now"`); the standard flag
// package stops at the first positional one. "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse consumed a "--" if it stopped there: everything after is positional.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
