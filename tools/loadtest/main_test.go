package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestLoadRuns runs a small load through every target and checks that the
// report says what it must: a row per target, no failed delivery, the
// ratios. It asserts no speed: performance is judged by `make load`.
func TestLoadRuns(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "200", "-c", "4", "-rounds", "1", "-peer", t.TempDir() + "/none.py"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	text := out.String()
	for _, label := range []string{"bare HMAC handler (no disk)", "durable floor", "ipfwatch (full path", "forged: bare", "forged: ipfwatch"} {
		if !strings.Contains(text, label) {
			t.Errorf("no row %q:\n%s", label, text)
		}
	}
	if !strings.Contains(text, "peer not measured: no seed listener at") {
		t.Errorf("missing peer not reported:\n%s", text)
	}
	for _, re := range []string{
		`ratio ipfwatch / durable floor: ([0-9.]+)`,
		`ratio ipfwatch / bare HMAC handler: ([0-9.]+)`,
		`ratio forged 4xx, ipfwatch / bare HMAC handler: ([0-9.]+)`,
		`disk written per delivery, ipfwatch / durable floor: ([0-9.]+)`,
	} {
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("no line %s:\n%s", re, text)
			continue
		}
		if f, err := strconv.ParseFloat(m[1], 64); err != nil || f <= 0 {
			t.Errorf("ratio %q", m[1])
		}
	}
	// Every genuine delivery is a committed write; every forged one 4xx.
	if !regexp.MustCompile(`round 1  ipfwatch .* 2xx 200 4xx 0 other 0 errors 0`).MatchString(text) {
		t.Errorf("ipfwatch round not all 2xx:\n%s", text)
	}
	if !regexp.MustCompile(`round 1  forged-ipfwatch .* 2xx 0 4xx 200 other 0 errors 0`).MatchString(text) {
		t.Errorf("forged deliveries not all 4xx:\n%s", text)
	}
	if w := regexp.MustCompile(`ipfwatch store: (\d+) writes`).FindStringSubmatch(text); w == nil {
		t.Errorf("no store line:\n%s", text)
	} else if n, _ := strconv.Atoi(w[1]); n < 200 {
		t.Errorf("ipfwatch committed %d writes for 200 deliveries:\n%s", n, text)
	}
	if run([]string{"-n", "2", "-c", "4"}, &out, &errOut) != 2 {
		t.Errorf("n < c accepted")
	}
	if run([]string{"-targets", "nonsense"}, &out, &errOut) != 2 {
		t.Errorf("unknown target accepted")
	}
}

// The load's snapshot ids look like IP Fabric's (UUID v4), and differ.
func TestSnapshotIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for seq := 1; seq <= 1000; seq++ {
		id := snapshotID(seq)
		if !uuid.MatchString(id) {
			t.Fatalf("snapshotID(%d) = %q, not a UUID v4", seq, id)
		}
		if seen[id] {
			t.Fatalf("snapshotID(%d) = %q again", seq, id)
		}
		seen[id] = true
	}
	if snapshotID(7) != snapshotID(7) {
		t.Error("snapshotID is not a function of seq")
	}
}
