//go:build windows

// Command spawntree is a remediation program for the wine tests: it starts a
// process tree and reports it, so a test can check that stopping a run ends
// the whole tree, not only the program ipfwatch started.
//
//	spawntree DIR            start a grandchild (itself again), write DIR/child.pid, wait
//	spawntree -alive FILE    exit 0 if the process FILE names still runs, 1 if it is gone
//
// A pid file holds the pid and the process's creation time, so that a pid
// that wine has given to a new process meanwhile does not count as alive.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
)

// lifetime bounds how long the tree waits, so that none of it outlives a
// failed test by long.
const lifetime = 10 * time.Minute

// stillActive is STILL_ACTIVE, the exit code of a process that runs.
const stillActive = 259

func main() {
	alive := flag.String("alive", "", "report whether the process in this pid file still runs")
	grandchild := flag.Bool("grandchild", false, "be the grandchild: write DIR/grandchild.pid and wait")
	flag.Parse()
	if *alive != "" {
		ok, err := stillRuns(*alive)
		if err != nil {
			fmt.Fprintln(os.Stderr, "spawntree:", err)
			os.Exit(2)
		}
		if ok {
			fmt.Println("alive")
			os.Exit(0)
		}
		fmt.Println("gone")
		os.Exit(1)
	}
	dir := flag.Arg(0)
	if dir == "" {
		fmt.Fprintln(os.Stderr, "usage: spawntree DIR | spawntree -alive PIDFILE")
		os.Exit(2)
	}
	role := "child"
	if *grandchild {
		role = "grandchild"
	} else {
		gc := exec.Command(os.Args[0], "-grandchild", dir)
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "spawntree: start the grandchild:", err)
			os.Exit(2)
		}
	}
	if err := writePID(filepath.Join(dir, role+".pid")); err != nil {
		fmt.Fprintln(os.Stderr, "spawntree:", err)
		os.Exit(2)
	}
	fmt.Println(role, "running")
	time.Sleep(lifetime)
}

// writePID writes this process's pid and creation time, atomically.
func writePID(path string) error {
	created, err := creationTime(windows.CurrentProcess())
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d %d\n", os.Getpid(), created), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// stillRuns reports whether the process recorded in the pid file runs.
func stillRuns(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var pid uint32
	var created int64
	if _, err := fmt.Sscan(string(b), &pid, &created); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
		return false, nil // no such process
	}
	if err != nil {
		return false, fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	if c, err := creationTime(h); err != nil {
		return false, err
	} else if c != created {
		return false, nil // the pid now names another process
	}
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return false, fmt.Errorf("exit code of %d: %w", pid, err)
	}
	return code == stillActive, nil
}

// creationTime is when the process started, in 100 ns units.
func creationTime(h windows.Handle) (int64, error) {
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return 0, fmt.Errorf("process times: %w", err)
	}
	return created.Nanoseconds() / 100, nil
}
