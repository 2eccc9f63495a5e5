package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ipfwatch/ipfwatch/app/autostart"
)

// runAutostart is `ipfwatch autostart on|off|status`: the Settings toggle
// for headless setups and scripts. "on" registers this very binary, with
// --data-dir when one was chosen, so the login starts the same ipfwatch on
// the same data.
func runAutostart(e *Env, c *common, fs *flag.FlagSet, args []string) int {
	if len(args) != 1 || (args[0] != "on" && args[0] != "off" && args[0] != "status") {
		fmt.Fprintln(e.Stderr, "usage: ipfwatch autostart on|off|status")
		return 2
	}
	as := autostart.Env{Getenv: e.Getenv, HomeDir: func() (string, error) {
		if h := e.Getenv("HOME"); h != "" {
			return h, nil
		}
		return os.UserHomeDir()
	}}
	switch args[0] {
	case "on":
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch autostart: cannot tell where this binary is: %v\n", err)
			return 1
		}
		var extra []string
		fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
		if c.set["data-dir"] {
			dir, err := filepath.Abs(c.dataDir)
			if err != nil {
				fmt.Fprintf(e.Stderr, "ipfwatch autostart: %v\n", err)
				return 1
			}
			extra = []string{"--data-dir", dir}
		}
		if err := as.Enable(exe, extra...); err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch autostart: %v\n", err)
			return 1
		}
	case "off":
		if err := as.Disable(); err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch autostart: %v\n", err)
			return 1
		}
	}
	st, err := as.Status()
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch autostart: %v\n", err)
		return 1
	}
	printAutostart(e, st)
	return 0
}

func printAutostart(e *Env, st autostart.Status) {
	if !st.Enabled {
		fmt.Fprintf(e.Stdout, "autostart: off (%s)\n", st.Where)
		return
	}
	fmt.Fprintf(e.Stdout, "autostart: on (%s)\nstarts: %s\n", st.Where, strings.Join(st.Command, " "))
	if _, err := os.Stat(st.Command[0]); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(e.Stdout, "warning: %s no longer exists; run \"ipfwatch autostart on\" with the binary you use now\n", st.Command[0])
	}
}
