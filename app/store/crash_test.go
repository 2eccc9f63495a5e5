package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashDBEnv switches TestCrashChild into child mode: the database path to
// write to until killed.
const crashDBEnv = "IPFWATCH_STORE_CRASH_CHILD_DB"

// crashChild inserts distinct events from 8 goroutines and prints
// "acked <id>" for each only after InsertEvent has returned, i.e. after the
// commit: exactly what the listener does before answering 200. limit 0 means
// until killed.
func crashChild(path string, out io.Writer, limit int) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
		errs = make([]error, 8)
	)
	pid := os.Getpid()
	for w := range errs {
		wg.Go(func() {
			for {
				mu.Lock()
				if limit > 0 && next >= limit {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				d := testDelivery(pid*1_000_000+i, base.Add(time.Duration(i)*time.Millisecond))
				res, err := s.InsertEvent(context.Background(), d)
				if err != nil {
					errs[w] = err
					return
				}
				mu.Lock()
				_, err = fmt.Fprintf(out, "acked %d\n", res.ID)
				mu.Unlock()
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// parseAcked reads "acked <id>" lines.
func parseAcked(t *testing.T, r io.Reader, stopAfter int, onStop func()) []int64 {
	t.Helper()
	var ids []int64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		ids = append(ids, id)
		if len(ids) == stopAfter && onStop != nil {
			onStop()
		}
	}
	return ids
}

// TestCrashChild is the child of TestCrashKill9 when crashDBEnv is set. Run on
// its own, it checks the child's loop in process: every id it prints is
// stored.
func TestCrashChild(t *testing.T) {
	if path := os.Getenv(crashDBEnv); path != "" {
		err := crashChild(path, os.Stdout, 0)
		fmt.Fprintln(os.Stderr, "crash child stopped:", err)
		os.Exit(3) // never reached when killed, as intended
	}
	path := filepath.Join(t.TempDir(), "ipfwatch.db")
	var out bytes.Buffer
	if err := crashChild(path, &out, 50); err != nil {
		t.Fatal(err)
	}
	ids := parseAcked(t, &out, 0, nil)
	if len(ids) != 50 {
		t.Fatalf("%d acked lines, want 50", len(ids))
	}
	s := openAt(t, path)
	for _, id := range ids {
		if _, err := s.GetEvent(context.Background(), id); err != nil {
			t.Errorf("acked id %d: %v", id, err)
		}
	}
}

// TestCrashKill9 kills a process that is writing events with SIGKILL and
// checks that every event it acknowledged survived.
func TestCrashKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipfwatch.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	kill := func() { syscall.Kill(pid, syscall.SIGKILL) }
	// A hang guard: if the child never writes enough, kill it anyway.
	guard := time.AfterFunc(2*time.Minute, kill)
	defer guard.Stop()

	const killAfter = 400
	// Kill mid-stream, then read what the child had already written to the
	// pipe: those ids were acknowledged too.
	ids := parseAcked(t, stdout, killAfter, kill)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL; stderr:\n%s", err, stderr.String())
	}
	if len(ids) < killAfter {
		t.Fatalf("child acked only %d events before dying; stderr:\n%s", len(ids), stderr.String())
	}

	s := openAt(t, path)
	ctx := context.Background()
	var ok string
	if err := s.readDB.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
	var missing []int64
	for _, id := range ids {
		if _, err := s.GetEvent(ctx, id); err != nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acked events lost after kill -9: %v", len(missing), len(ids), head(missing))
	}
	stored := count(t, s, "events")
	t.Logf("child acked %d events, %d stored after kill -9", len(ids), stored)
	if stored < int64(len(ids)) {
		t.Errorf("%d events stored, fewer than the %d acked", stored, len(ids))
	}
	// The database is usable after the crash.
	if _, err := s.InsertEvent(ctx, testDelivery(1, base)); err != nil {
		t.Errorf("insert after crash: %v", err)
	}
}
