package cli

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

type sendOpts struct {
	url, secret, typ, action, status, name, reason, snapshotID string
	test, badSignature, curl, insecure                         bool
	timeout                                                    time.Duration
}

func sendFlags(fs *flag.FlagSet) runner {
	o := &sendOpts{}
	fs.StringVar(&o.url, "url", "", "webhook URL (default this machine's listener: the listen address, path and TLS of the settings, flags and IPFWATCH_* variables)")
	fs.StringVar(&o.secret, "secret", "", "secret to sign with (default IPF_WEBHOOK_SECRET, else the stored secret)")
	fs.StringVar(&o.typ, "type", "snapshot", "event type: snapshot or intent-verification")
	fs.StringVar(&o.action, "action", "", "action (default discover for snapshot, calculate for intent-verification)")
	fs.StringVar(&o.status, "status", "completed", "status: started, completed, failed, ...")
	fs.StringVar(&o.name, "snapshot-name", "", "snapshot name")
	fs.StringVar(&o.snapshotID, "snapshot-id", "", "snapshot id (default a fresh one)")
	fs.StringVar(&o.reason, "reason", "", "failure reason (snapshot events)")
	fs.BoolVar(&o.test, "test", false, "mark the event as a test, as IP Fabric's test button does")
	fs.BoolVar(&o.badSignature, "bad-signature", false, "sign with a wrong secret, to see a signature failure")
	fs.BoolVar(&o.curl, "curl", false, "also print the equivalent curl --data-binary command")
	fs.BoolVar(&o.insecure, "insecure", false, "HTTPS: accept any certificate (the --tls-cert certificate is always trusted)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int { return runSend(e, c, fs, *o, args) }
}

func runSend(e *Env, c *common, fs *flag.FlagSet, o sendOpts, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.Stderr, "ipfwatch send: unexpected argument %q\n", args[0])
		return 2
	}
	// The listener of this data directory, as `ipfwatch serve` with the
	// same flags would run it: settings.json, then flags and environment.
	saved, err := config.LoadSettings(config.SettingsFile(c.dataDir))
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch send: %v (using defaults)\n", err)
	}
	eff := c.overrides(fs).Apply(saved)
	url := o.url
	if url == "" {
		if err := config.ValidateListen(eff.Listen); err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch send: listen address %q: %v\n", eff.Listen, err)
			return 2
		}
		scheme := "http"
		if eff.TLSCert != "" {
			scheme = "https"
		}
		url = scheme + "://" + app.LocalHostPort(eff.Listen) + eff.Path
	}
	var client *http.Client
	var curlOpts []string
	if strings.HasPrefix(strings.ToLower(url), "https:") {
		tlsOpts := send.TLSOptions{Insecure: o.insecure}
		if eff.TLSCert != "" {
			pins, err := send.PinnedFromFile(eff.TLSCert)
			if err != nil {
				fmt.Fprintf(e.Stderr, "ipfwatch send: %v\n", err)
				return 1
			}
			tlsOpts.Pinned = pins
		}
		if o.insecure {
			curlOpts = []string{"-k"}
		} else if len(tlsOpts.Pinned) > 0 {
			if opts, err := send.CurlPin(tlsOpts.Pinned[0]); err == nil {
				curlOpts = opts
			}
		}
		client = send.Client(tlsOpts)
		client.Timeout = o.timeout
	}
	secret := o.secret
	if secret == "" {
		secret = secretFor(c, e.Getenv)
	}
	if secret == "" {
		fmt.Fprintln(e.Stderr, "ipfwatch send: no secret: store one with `ipfwatch secret --generate`, or pass --secret, or set IPF_WEBHOOK_SECRET")
		return 2
	}
	body := send.Body(send.Payload{Type: o.typ, Action: o.action, Status: o.status, SnapshotName: o.name,
		SnapshotID: o.snapshotID, Reason: o.reason, Test: o.test})
	signWith := secret
	if o.badSignature {
		signWith = "not-" + secret
	}
	sig := listener.Sign(body, signWith)
	if o.curl {
		fmt.Fprintln(e.Stdout, send.Curl(url, body, sig, curlOpts...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ans, err := send.Do(ctx, client, url, body, sig)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ipfwatch send: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.Stdout, "%d %s\n", ans.Status, strings.TrimSpace(ans.Body))
	if ans.Status/100 != 2 {
		return 1
	}
	return 0
}
