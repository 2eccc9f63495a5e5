package main

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
)

// TestLoadRuns runs a small load through both handlers and checks that the
// report says what it must: both throughputs, no failed delivery, a ratio.
// It asserts no speed: performance is judged by `make load`, not by tests.
func TestLoadRuns(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "200", "-c", "4", "-rounds", "1"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	m := regexp.MustCompile(`best: reference (\d+)/s, ipfwatch (\d+)/s: ratio ([0-9.]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary line:\n%s", out.String())
	}
	for _, v := range m[1:] {
		if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 {
			t.Errorf("summary value %q", v)
		}
	}
	w := regexp.MustCompile(`ipfwatch \(commit each\):.*non-2xx 0 errors 0 .*so far (\d+) writes`).FindStringSubmatch(out.String())
	if w == nil {
		t.Fatalf("no ipfwatch round line:\n%s", out.String())
	}
	// Every delivery is a committed write (retention adds its own).
	if n, _ := strconv.Atoi(w[1]); n < 200 {
		t.Errorf("ipfwatch committed %d writes for 200 deliveries:\n%s", n, out.String())
	}
	if run([]string{"-n", "2", "-c", "4"}, &out, &errOut) != 2 {
		t.Errorf("n < c accepted")
	}
}
