// Command ipfwatch receives IP Fabric webhooks on an engineer's laptop:
// verified, logged durably, notified, and remediated only by approval. With
// no command it starts the tray app; `ipfwatch help` lists the commands.
package main

import (
	"os"

	"github.com/ipfwatch/ipfwatch/app/cli"
	// Before Fyne initialises: gives it a locale it can parse when LANG is
	// C.UTF-8 and the like, so no command prints "Error parsing user locale".
	_ "github.com/ipfwatch/ipfwatch/app/locale"
	"github.com/ipfwatch/ipfwatch/ui"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, GUI: ui.Run}))
}
