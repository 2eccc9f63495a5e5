// Command loadtest measures ipfwatch's whole delivery path (size limit,
// signature, parse, de-duplicate, group commit to SQLite, answer) against a
// bare net/http handler that only checks the HMAC, both on loopback in one
// process, and prints throughput, p50/p99 latency and their ratio.
//
//	go run ./app/loadtest -n 20000 -c 16
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/listener"
)

const secret = "load-test-secret"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	n := fs.Int("n", 20000, "deliveries per run (each a distinct event)")
	c := fs.Int("c", 16, "concurrent senders")
	rounds := fs.Int("rounds", 2, "alternating rounds of reference and ipfwatch")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return 2
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
	if *n < *c || *c < 1 || *rounds < 1 {
		fmt.Fprintln(stderr, "loadtest: need n >= c >= 1 and rounds >= 1")
		return 2
	}
	ref, stopRef, err := startReference()
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	defer stopRef()
	dir, err := os.MkdirTemp("", "ipfwatch-load")
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	full, fullApp, stopFull, err := startIPFWatch(dir)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	defer stopFull()

	fmt.Fprintf(stdout, "loadtest: %d distinct signed deliveries per run, concurrency %d, loopback, %d rounds\n", *n, *c, *rounds)
	var refRes, fullRes []result
	seq := 0
	for r := 0; r < *rounds; r++ {
		rr := drive(ref, *n, *c, &seq)
		fr := drive(full, *n, *c, &seq)
		refRes, fullRes = append(refRes, rr), append(fullRes, fr)
		fmt.Fprintf(stdout, "round %d  reference (HMAC only): %s\n", r+1, rr)
		st := fullApp.Store().Stats()
		fmt.Fprintf(stdout, "round %d  ipfwatch (commit each): %s  (so far %d writes in %d commits, largest batch %d)\n",
			r+1, fr, st.Writes, st.Commits, st.LargestBatch)
		if fr.errors > 0 || fr.non2xx > 0 {
			fmt.Fprintf(stderr, "loadtest: ipfwatch failed %d deliveries (%d errors)\n", fr.non2xx, fr.errors)
			return 1
		}
	}
	rb, fb := best(refRes), best(fullRes)
	ratio := fb.perSec / rb.perSec
	fmt.Fprintf(stdout, "best: reference %.0f/s, ipfwatch %.0f/s: ratio %.2f (goal >= 0.50)\n", rb.perSec, fb.perSec, ratio)
	return 0
}

type result struct {
	perSec         float64
	p50, p99       time.Duration
	non2xx, errors int64
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f deliveries/s  p50 %-9v p99 %-9v non-2xx %d errors %d",
		r.perSec, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.non2xx, r.errors)
}

func best(rs []result) result {
	b := rs[0]
	for _, r := range rs[1:] {
		if r.perSec > b.perSec {
			b = r
		}
	}
	return b
}

// drive sends n distinct signed deliveries to url from c goroutines.
func drive(url string, n, c int, seq *int) result {
	bodies := make([][]byte, n)
	sigs := make([]string, n)
	now := time.Now()
	for i := range bodies {
		*seq++
		bodies[i] = send.Body(send.Payload{Type: "snapshot", Status: "completed", SnapshotID: fmt.Sprintf("load-%09d", *seq), Time: now})
		sigs[i] = listener.Sign(bodies[i], secret)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}, Timeout: 30 * time.Second}
	lat := make([]time.Duration, n)
	var next, non2xx, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i]))
				req.Header.Set("X-IPF-Signature", sigs[i])
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode/100 != 2 {
					non2xx.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	client.CloseIdleConnections()
	slices.Sort(lat)
	return result{
		perSec: float64(n) / elapsed.Seconds(),
		p50:    lat[n/2], p99: lat[n*99/100],
		non2xx: non2xx.Load(), errors: errs.Load(),
	}
}

// startReference serves the smallest honest webhook receiver: read the
// body, check the HMAC, answer. It stores nothing.
func startReference() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	key := []byte(secret)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		got, err := hex.DecodeString(r.Header.Get("X-IPF-Signature"))
		m := hmac.New(sha256.New, key)
		m.Write(body)
		if err != nil || !hmac.Equal(got, m.Sum(nil)) {
			http.Error(w, `{"result":"Invalid message signature"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result":"ok"}`)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/ipfabric", func() { srv.Close() }, nil
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
