package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// result is one run against one target.
type result struct {
	perSec        float64
	cpu           time.Duration // process CPU (user+system) per request, client included
	p50, p99      time.Duration
	disk          float64 // bytes dirtied for the disk per request (Linux); -1 unknown
	ok2xx, ok4xx  int64   // answers by class
	other, errors int64   // any other status; transport errors
	statuses      map[int]int64
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f/s  cpu %-7v p50 %-9v p99 %-9v disk %-8s 2xx %d 4xx %d other %d errors %d",
		r.perSec, r.cpu.Round(time.Microsecond), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.diskString(), r.ok2xx, r.ok4xx, r.other, r.errors)
}

// diskString is disk for a table: bytes per request, or "?".
func (r result) diskString() string {
	if r.disk < 0 {
		return "?"
	}
	return fmt.Sprintf("%.0fB", r.disk)
}

// best returns the fastest of rs: the run least disturbed by whatever else
// the machine was doing.
func best(rs []result) result {
	b := rs[0]
	for _, r := range rs[1:] {
		if r.perSec > b.perSec {
			b = r
		}
	}
	return b
}

// batch is what one run sends: n bodies and their signature headers.
type batch struct {
	bodies [][]byte
	sigs   []string
}

// drive posts every delivery of b to url from c goroutines over keep-alive
// connections and times each answer.
func drive(url string, b batch, c int) result {
	n := len(b.bodies)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, n)
	var next, ok2, ok4, other, errs atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int64{}
	var wg sync.WaitGroup
	start, cpu0, disk0 := time.Now(), processCPU(), diskWritten()
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
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b.bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-IPF-Signature", b.sigs[i])
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					lat[i] = time.Since(t0)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				switch resp.StatusCode / 100 {
				case 2:
					ok2.Add(1)
				case 4:
					ok4.Add(1)
				default:
					other.Add(1)
				}
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	// What a durable target writes after its last answer (ipfwatch's
	// checkpointer copies the WAL back once the writes stop) is its own.
	time.Sleep(diskSettle)
	disk := -1.0
	if d1 := diskWritten(); disk0 >= 0 && d1 >= 0 {
		disk = float64(d1-disk0) / float64(n)
	}
	slices.Sort(lat)
	return result{
		disk:   disk,
		perSec: float64(n) / elapsed.Seconds(),
		cpu:    cpu / time.Duration(n),
		p50:    lat[n/2], p99: lat[n*99/100],
		ok2xx: ok2.Load(), ok4xx: ok4.Load(), other: other.Load(), errors: errs.Load(),
		statuses: statuses,
	}
}

// diskSettle is how long after a run its disk writes are still counted:
// longer than ipfwatch's idle checkpoint delay (100 ms).
const diskSettle = 300 * time.Millisecond

// diskWritten is how many bytes this process has dirtied for the disk
// (write_bytes in /proc/self/io: page-cache pages at the moment they are
// dirtied, so a WAL frame, a checkpoint copy or a rewrite of an already
// flushed page each count once), or -1 where it cannot be read. It tells
// why one durable target costs more than another: SQLite's CPU per commit
// grows with the pages it writes and syncs.
func diskWritten() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// processCPU is the CPU time this process has used. On a shared machine
// CPU per request is steadier than requests per second: what other
// processes take slows every target but does not add to its CPU.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
