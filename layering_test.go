package main

// The dependency rules of docs/ARCHITECTURE.md, checked on the real package
// graph (go list), so a stray import fails here rather than in review.

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ipfwatch/ipfwatch"

// packageDeps returns, for each of our packages, every package it links
// (test files excluded), as built with the Makefile's tags.
func packageDeps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-tags", "no_emoji", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		deps[f[0]] = f[1:]
	}
	if len(deps) < 20 || deps[module] == nil {
		t.Fatalf("go list listed %d packages, and not %s", len(deps), module)
	}
	return deps
}

func TestLayering(t *testing.T) {
	deps := packageDeps(t)
	under := func(pkg, dir string) bool {
		p := module + "/" + dir
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	// Test support our tests import; the product must not link it.
	testOnly := []string{"tools", "ui/internal/uitest", "app/ipf/ipffake", "app/testdir"}
	for _, d := range deps[module] {
		if d == "testing" || strings.HasPrefix(d, "go.uber.org/goleak") {
			t.Errorf("the ipfwatch binary links %s", d)
		}
		for _, dir := range testOnly {
			if under(d, dir) {
				t.Errorf("the ipfwatch binary links the test support %s", d)
			}
		}
	}
	for pkg, ds := range deps {
		for _, d := range ds {
			switch {
			case (under(pkg, "app") || under(pkg, "listener")) && strings.HasPrefix(d, "fyne.io/"):
				t.Errorf("%s imports Fyne (%s): app and listener never do", pkg, d)
			case (under(pkg, "app") || under(pkg, "listener")) && under(d, "ui"):
				t.Errorf("%s imports %s: dependencies point main -> ui -> app -> listener", pkg, d)
			case under(pkg, "listener") && under(d, "app"):
				t.Errorf("%s imports %s: the listener does not know the core", pkg, d)
			case under(pkg, "app/store") && d != module+"/listener/webhook" && (under(d, "listener") || under(d, "ui") || d == module+"/app" || under(d, "app/cli")):
				t.Errorf("%s imports %s: the store imports nothing of ours that serves HTTP or UI", pkg, d)
			}
		}
	}
}
