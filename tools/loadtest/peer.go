package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// The seed peer is the FastAPI listener ipfwatch grew from
// (shared/peers/seed_listener.py), run by Debian's python3 with uvicorn. It
// checks the HMAC and stores nothing, so it is another "bare" receiver, in
// the language the project started in. It is measured only when it can be:
// Python, FastAPI and uvicorn are not build dependencies.

// python is the interpreter the Debian packages python3-fastapi and
// python3-uvicorn install for.
const python = "/usr/bin/python3"

// startPeer starts the seed listener on a free loopback port and returns its
// URL and a function that stops it by its PID. A nil error with an empty URL
// never happens: when the peer cannot run, the error says why.
func startPeer(script string) (string, func(), error) {
	if _, err := os.Stat(script); err != nil {
		return "", nil, fmt.Errorf("no seed listener at %s", script)
	}
	if out, err := exec.Command(python, "-c", "import fastapi, uvicorn").CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("%s cannot import fastapi and uvicorn (apt-get install python3-fastapi python3-uvicorn): %v %s", python, err, lastLine(out))
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	abs, err := filepath.Abs(filepath.Dir(script))
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(python, "-m", "uvicorn", "seed_listener:app", "--app-dir", abs,
		"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--log-level", "warning", "--no-access-log")
	// The peer reads its secret from the environment; this is the load
	// test's own throwaway secret, never an engineer's.
	cmd.Env = append(os.Environ(), "IPF_WEBHOOK_SECRET="+secret)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start seed listener: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(pid, syscall.SIGKILL)
			<-exited
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr + "/ipfabric", stop, nil
		}
		select {
		case <-exited:
			return "", nil, errors.New("seed listener exited before listening")
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("seed listener not listening on %s after 20 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// forSeed adds the fields the seed's pydantic model requires (it declares
// reason and test Optional without a default, so they must be present).
func forSeed(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	if _, ok := m["reason"]; !ok {
		m["reason"] = nil
	}
	if _, ok := m["test"]; !ok {
		m["test"] = false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return b
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return string(b[i+1:])
		}
	}
	return string(b)
}
