package locale

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// These tests run real programs: Fyne's lang package with and without this
// package, and the ipfwatch binary. go-locale reads the environment only on
// Linux and the BSDs; elsewhere they check that nothing is printed at all.

const fyneComplaint = "Error parsing user locale"

// build compiles the main package pkg (a path relative to this directory)
// into the test's temporary directory.
func build(t *testing.T, pkg string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "prog")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", exe, pkg)
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return exe
}

// run runs exe with exactly env (plus PATH and HOME) and returns its
// stdout and stderr.
func run(t *testing.T, exe string, env []string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v with %v: %v\nstderr: %s", filepath.Base(exe), args, env, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// locales are the environments every program must be quiet under.
var locales = [][]string{
	{"LANG=C"},
	{"LANG=C.UTF-8"},
	{}, // LANG unset
	{"LANG=POSIX"},
	{"LC_ALL=C.UTF-8", "LANG=en_US.UTF-8"},
	{"LC_ALL=C", "LANG=C.UTF-8"},
	{"LC_MESSAGES=C.UTF-8"},
	{"LANG=sr_RS@latin"},
	{"LANG=en_US.UTF-8", "LANGUAGE=de:"},
	{"LANG=en_US.UTF-8"},
}

// TestParsableAgreesWithFyne checks parsable against the real thing: Fyne
// (without this package) complains about an entry exactly when parsable
// rejects it.
func TestParsableAgreesWithFyne(t *testing.T) {
	exe := build(t, "./testdata/fyneonly")
	entries := []string{
		"en", "en_US", "en_US.UTF-8", "de_DE.UTF-8@euro", "pt_BR", "zh_Hans", "zh_Hant_TW",
		"zh-Hant-TW", "es_419", "ast_ES", "sr-Latn", "C", "C.UTF-8", "POSIX.UTF-8",
		"sr_RS@latin", "de_DE@euro", "de@euro", "e", "en_USA", "en_1", "english", "",
	}
	if runtime.GOOS != "linux" && !strings.HasSuffix(runtime.GOOS, "bsd") && runtime.GOOS != "dragonfly" {
		entries = []string{"C.UTF-8"} // the environment is not read: nothing is logged
	}
	for _, e := range entries {
		_, stderr := run(t, exe, []string{"LANG=en_US.UTF-8", "LANGUAGE=" + e + ":en"})
		complains := strings.Contains(stderr, fyneComplaint)
		want := envLocales() && !parsable(e)
		if stricter[e] && !complains {
			want = false
		}
		if complains != want {
			t.Errorf("LANGUAGE=%q: Fyne complains %t, want %t (stderr %q)", e, complains, want, stderr)
		}
	}
}

// stricter are entries parsable rejects although x/text accepts them
// (it reads a three-letter region as ISO 3166 alpha-3). Rejecting them
// only means LANGUAGE is rewritten without need, never that noise remains.
var stricter = map[string]bool{"en_USA": true}

// envLocales reports whether go-locale reads the environment on this OS.
func envLocales() bool {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "js", "android":
		return false
	}
	return true
}

// TestFyneQuiet runs Fyne's lang package with this package under every
// locale: nothing on stderr, and LANG, LC_ALL and LC_MESSAGES unchanged.
func TestFyneQuiet(t *testing.T) {
	exe := build(t, "./testdata/withfix")
	for _, env := range locales {
		stdout, stderr := run(t, exe, env)
		if stderr != "" {
			t.Errorf("with %v: stderr %q", env, stderr)
		}
		for _, k := range []string{"LANG", "LC_ALL", "LC_MESSAGES"} {
			want := k + "=false:"
			for _, kv := range env {
				if strings.HasPrefix(kv, k+"=") {
					want = k + "=true:" + strings.TrimPrefix(kv, k+"=")
				}
			}
			if !strings.Contains(stdout, want+"\n") {
				t.Errorf("with %v: want %s in\n%s", env, want, stdout)
			}
		}
	}
}

// TestBinaryQuiet runs ipfwatch itself (IPFWATCH_BIN if set, else built
// here) under every locale: its start-up commands print nothing to stderr,
// and this package initialises before Fyne's lang.
func TestBinaryQuiet(t *testing.T) {
	exe := os.Getenv("IPFWATCH_BIN")
	if exe == "" {
		exe = build(t, "../..")
	}
	dataDir := t.TempDir()
	for _, env := range locales {
		for _, args := range [][]string{{"help"}, {"version"}, {"--data-dir", dataDir, "log"}, {"--data-dir", dataDir, "log", "--failures"}, {"--data-dir", dataDir, "proposals"}} {
			if _, stderr := run(t, exe, env, args...); stderr != "" {
				t.Errorf("ipfwatch %v with %v: stderr %q", args, env, stderr)
			}
		}
	}
	_, trace := run(t, exe, []string{"LANG=C.UTF-8", "GODEBUG=inittrace=1"}, "version")
	ours := strings.Index(trace, "init github.com/ipfwatch/ipfwatch/app/locale ")
	fyne := strings.Index(trace, "init fyne.io/fyne/v2/lang ")
	if envLocales() && ours < 0 {
		t.Fatalf("no init of app/locale in the init trace:\n%s", trace)
	}
	if fyne < 0 || ours > fyne {
		t.Errorf("app/locale initialised at %d, fyne.io/fyne/v2/lang at %d in the init trace:\n%s", ours, fyne, trace)
	}
}
