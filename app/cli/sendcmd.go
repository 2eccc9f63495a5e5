package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

type sendOpts struct {
	url, secret, typ, action, status, name, reason, snapshotID string
	test, badSignature, curl                                   bool
	timeout                                                    time.Duration
}

func sendFlags(fs *flag.FlagSet) runner {
	o := &sendOpts{}
	fs.StringVar(&o.url, "url", "", "webhook URL (default http://127.0.0.1:<port of --listen><--path>)")
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
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
	return func(e *Env, c *common, fs *flag.FlagSet, args []string) int { return runSend(e, c, *o, args) }
}

func runSend(e *Env, c *common, o sendOpts, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.Stderr, "ipfwatch send: unexpected argument %q\n", args[0])
		return 2
	}
	url := o.url
	if url == "" {
		_, port, err := net.SplitHostPort(c.listen)
		if err != nil {
			fmt.Fprintf(e.Stderr, "ipfwatch send: --listen %q: %v\n", c.listen, err)
			return 2
		}
		url = "http://127.0.0.1:" + port + c.path
	}
	secret := o.secret
	if secret == "" {
		secret = secretFor(c, e.Getenv)
	}
	if secret == "" {
		fmt.Fprintln(e.Stderr, "ipfwatch send: no secret: pass --secret or set IPF_WEBHOOK_SECRET")
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
		fmt.Fprintln(e.Stdout, send.Curl(url, body, sig))
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ans, err := send.Do(ctx, nil, url, body, sig)
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
