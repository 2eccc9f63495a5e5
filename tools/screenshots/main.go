// Command screenshots renders ipfwatch's main window with sample data and
// writes one PNG per tab for the README: `make screenshots` runs it under
// Xvfb through scripts/screenshots.sh.
//
// It starts a real ipfwatch on a temporary data directory, listening on
// loopback, sends it a sample day of signed webhooks (tools/screenshots/sample),
// and photographs the real views (shoot.go). Nothing of the
// engineer's own ipfwatch is read or changed, and no notification is shown.
//
//	go run ./tools/screenshots -out docs
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/tools/screenshots/sample"
)

func main() {
	out := flag.String("out", "docs", "directory for the PNG files")
	data := flag.String("data", "", "data directory for the sample ipfwatch; it must not exist yet, and is removed afterwards (default: a new temporary directory)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*out, *data, log); err != nil {
		log.Error("screenshots failed", "err", err)
		os.Exit(1)
	}
}

func run(out, dir string, log *slog.Logger) (err error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("no display: run scripts/screenshots.sh, which starts Xvfb")
	}
	// The engineer's own secrets must not stand in for the sample ones.
	os.Unsetenv(config.EnvSecret)
	os.Unsetenv(config.EnvPreviousSecret)

	// The data directory shows in the Rules and Settings views: the script
	// passes a short one. It must be new, since it is removed at the end.
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ipfwatch-"); err != nil {
			return err
		}
	} else if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); err == nil {
			err = rerr
		}
	}()
	a, clock, err := sample.Open(dir, log)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if serr := a.Shutdown(ctx); err == nil {
			err = serr
		}
	}()
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		return err
	}
	if err := sample.Fill(ctx, a, clock); err != nil {
		return err
	}
	files, err := screenshots(a, out, log)
	for _, f := range files {
		fmt.Println(f)
	}
	return err
}
