// Command loadtest measures ipfwatch's whole delivery path (size limit,
// signature, parse, de-duplicate, group commit to SQLite, answer) on
// loopback against references measured in the same run on the same
// machine, and prints a table and the ratios:
//
//   - bare: a net/http handler that only checks the HMAC (no disk);
//
//   - floor: the durable floor, HMAC then one INSERT of the raw body per
//     delivery, group-committed by one writer with ipfwatch's SQLite
//     settings (see floor.go);
//
//   - seed: the FastAPI listener ipfwatch grew from, when Debian's
//     python3-fastapi and python3-uvicorn are installed;
//
//   - forged: deliveries signed with the wrong secret, answered 4xx by the
//     bare handler and by ipfwatch.
//
//     go run ./tools/loadtest -n 20000 -c 16
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

const secret = "load-test-secret"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Goals from the "laptop-grade cost" issue, as ratios to references
// measured in the same run.
const (
	goalFloorRatio  = 0.8
	goalForgedRatio = 0.7
	goalP99         = 3 * time.Millisecond
)

var allTargets = []string{"bare", "floor", "ipfwatch", "seed", "forged"}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "deliveries per run (each a distinct event)")
	c := fs.Int("c", 16, "concurrent senders")
	rounds := fs.Int("rounds", 2, "alternating rounds of every target; the best round counts")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	targets := fs.String("targets", strings.Join(allTargets, ","), "which of "+strings.Join(allTargets, ",")+" to run")
	peer := fs.String("peer", "../shared/peers/seed_listener.py", "the seed FastAPI listener (measured when python3-fastapi and python3-uvicorn are installed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n < *c || *c < 1 || *rounds < 1 {
		fmt.Fprintln(stderr, "loadtest: need n >= c >= 1 and rounds >= 1")
		return 2
	}
	want := map[string]bool{}
	for _, t := range strings.Split(*targets, ",") {
		t = strings.TrimSpace(t)
		if !contains(allTargets, t) {
			fmt.Fprintf(stderr, "loadtest: unknown target %q (want some of %s)\n", t, strings.Join(allTargets, ","))
			return 2
		}
		want[t] = true
	}

	dir, err := os.MkdirTemp("", "ipfwatch-load")
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	type target struct {
		name, label, url string
		seed             bool // bodies carry the fields the seed's model requires
		forged           bool // bodies signed with the wrong secret
	}
	var ts []target
	var fullApp *app.App
	needBare := want["bare"] || want["forged"]
	needFull := want["ipfwatch"] || want["forged"]
	var bareURL, fullURL string
	if needBare {
		u, stop, err := startBare()
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer stop()
		bareURL = u
	}
	if needFull {
		u, a, stop, err := startIPFWatch(dir)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer stop()
		fullURL, fullApp = u, a
	}
	if want["bare"] {
		ts = append(ts, target{name: "bare", label: "bare HMAC handler (no disk)", url: bareURL})
	}
	var floorDB *floor
	if want["floor"] {
		u, f, stop, err := startFloor(dir)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer stop()
		floorDB = f
		ts = append(ts, target{name: "floor", label: "durable floor (HMAC + 1 INSERT, group commit)", url: u})
	}
	if want["ipfwatch"] {
		ts = append(ts, target{name: "ipfwatch", label: "ipfwatch (full path, commit each)", url: fullURL})
	}
	if want["seed"] {
		u, stop, err := startPeer(*peer)
		if err != nil {
			fmt.Fprintln(stdout, "peer not measured:", err)
		} else {
			defer stop()
			ts = append(ts, target{name: "seed", label: "seed FastAPI listener (no disk)", url: u, seed: true})
		}
	}
	if want["forged"] {
		ts = append(ts,
			target{name: "forged-bare", label: "forged: bare HMAC handler", url: bareURL, forged: true},
			target{name: "forged-ipfwatch", label: "forged: ipfwatch", url: fullURL, forged: true})
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	fmt.Fprintf(stdout, "loadtest: %d distinct signed deliveries per run, concurrency %d, loopback, %d rounds\n", *n, *c, *rounds)
	res := map[string][]result{}
	seq := 0
	for r := 1; r <= *rounds; r++ {
		for _, t := range ts {
			b := makeBatch(*n, &seq, t.seed, t.forged)
			got := drive(t.url, b, *c)
			res[t.name] = append(res[t.name], got)
			fmt.Fprintf(stdout, "round %d  %-16s %s\n", r, t.name, got)
			if t.name == "ipfwatch" && (got.errors > 0 || got.ok2xx != int64(*n)) {
				fmt.Fprintf(stderr, "loadtest: ipfwatch failed %d deliveries (%d transport errors, statuses %v)\n",
					int64(*n)-got.ok2xx, got.errors, got.statuses)
				return 1
			}
		}
	}
	if floorDB != nil {
		c, w := floorDB.commits.Load(), floorDB.writes.Load()
		fmt.Fprintf(stdout, "durable floor: %d writes in %d commits (%.1f per commit)\n", w, c, float64(w)/float64(max(c, 1)))
	}
	if fullApp != nil {
		st := fullApp.Store().Stats()
		fmt.Fprintf(stdout, "ipfwatch store: %d writes in %d commits (%.1f per commit), largest batch %d\n",
			st.Writes, st.Commits, float64(st.Writes)/float64(max(st.Commits, 1)), st.LargestBatch)
	}

	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tper second\tCPU/request\tp50\tp99\tdisk/request\t2xx\t4xx\tother\t")
	for _, t := range ts {
		b := best(res[t.name])
		fmt.Fprintf(tw, "%s\t%.0f\t%v\t%v\t%v\t%s\t%d\t%d\t%d\t\n", t.label, b.perSec, b.cpu.Round(time.Microsecond),
			b.p50.Round(time.Microsecond), b.p99.Round(time.Microsecond), b.diskString(), b.ok2xx, b.ok4xx, b.other+b.errors)
	}
	tw.Flush()
	fmt.Fprintln(stdout)

	ratio := func(a, b string) (float64, bool) {
		if len(res[a]) == 0 || len(res[b]) == 0 {
			return 0, false
		}
		return best(res[a]).perSec / best(res[b]).perSec, true
	}
	cpuRatio := func(a, b string) (float64, bool) {
		if len(res[a]) == 0 || len(res[b]) == 0 || best(res[a]).cpu == 0 {
			return 0, false
		}
		return float64(best(res[b]).cpu) / float64(best(res[a]).cpu), true
	}
	if r, ok := cpuRatio("ipfwatch", "floor"); ok {
		fmt.Fprintf(stdout, "ratio by CPU per request, floor / ipfwatch: %.2f (the same ratio where the machine is shared)\n", r)
	}
	if r, ok := ratio("ipfwatch", "floor"); ok {
		fmt.Fprintf(stdout, "ratio ipfwatch / durable floor: %.2f (goal >= %.2f)\n", r, goalFloorRatio)
	}
	if f, i := res["floor"], res["ipfwatch"]; len(f) > 0 && len(i) > 0 && best(f).disk > 0 && best(i).disk >= 0 {
		fmt.Fprintf(stdout, "disk written per delivery, ipfwatch / durable floor: %.2f (pages SQLite dirtied: WAL frames and checkpoint copies)\n", best(i).disk/best(f).disk)
	}
	if r, ok := ratio("ipfwatch", "bare"); ok {
		fmt.Fprintf(stdout, "ratio ipfwatch / bare HMAC handler: %.2f\n", r)
	}
	if r, ok := ratio("floor", "bare"); ok {
		fmt.Fprintf(stdout, "ratio durable floor / bare HMAC handler: %.2f\n", r)
	}
	if r, ok := ratio("ipfwatch", "seed"); ok {
		fmt.Fprintf(stdout, "ratio ipfwatch / seed FastAPI listener: %.2f\n", r)
	}
	if r, ok := ratio("forged-ipfwatch", "forged-bare"); ok {
		fmt.Fprintf(stdout, "ratio forged 4xx, ipfwatch / bare HMAC handler: %.2f (goal >= %.2f)\n", r, goalForgedRatio)
	}
	if rs := res["ipfwatch"]; len(rs) > 0 {
		fmt.Fprintf(stdout, "ipfwatch p99 at c=%d: %v (goal <= %v)\n", *c, best(rs).p99.Round(time.Microsecond), goalP99)
	}
	return 0
}

// makeBatch builds n distinct signed deliveries (seq keeps them distinct
// across runs, so ipfwatch never sees a duplicate).
func makeBatch(n int, seq *int, seed, forged bool) batch {
	b := batch{bodies: make([][]byte, n), sigs: make([]string, n)}
	now := time.Now()
	key := secret
	if forged {
		key = "not-the-secret"
	}
	for i := range b.bodies {
		*seq++
		body := send.Body(send.Payload{Type: "snapshot", Status: "completed", SnapshotID: snapshotID(*seq), Time: now})
		if seed {
			body = forSeed(body)
		}
		b.bodies[i] = body
		b.sigs[i] = listener.Sign(body, key)
	}
	return b
}

// snapshotID is the seq-th delivery's snapshot id, a UUID as IP Fabric's
// are: random-looking, not in order, so an index over them is written at a
// random page, as it would be in use. It is derived from seq so that runs are
// alike and every delivery is distinct.
func snapshotID(seq int) string {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(seq)))
	h[6] = h[6]&0x0f | 0x40 // version 4
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// discard is a notification sender for the load test: notifications are
// coalesced by the app anyway, and a desktop under load is not the point.
type discard struct{}

func (discard) Send(string, string, bool) error { return nil }

func startIPFWatch(dir string) (string, *app.App, func(), error) {
	listen := "127.0.0.1:0"
	a, err := app.Open(app.Options{
		DataDir:   dir,
		Overrides: config.Overrides{Listen: &listen},
		Sender:    discard{},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		NoRunner:  true,
	})
	if err != nil {
		return "", nil, nil, err
	}
	if _, err := a.SetSecret(config.Current, secret); err != nil {
		return "", nil, nil, err
	}
	if err := a.Start(context.Background()); err != nil {
		return "", nil, nil, err
	}
	return a.URL(), a, func() { a.Shutdown(context.Background()) }, nil
}
