package cli

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
)

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		comment string
		json    bool
	}{
		{[]string{"7"}, []string{"7"}, "", false},
		{[]string{"7", "--comment", "not now"}, []string{"7"}, "not now", false},
		{[]string{"--comment", "x", "7"}, []string{"7"}, "x", false},
		{[]string{"--json", "7", "8", "--comment=y"}, []string{"7", "8"}, "y", true},
		{[]string{"7", "--", "--json"}, []string{"7", "--json"}, "", false},
		{nil, nil, "", false},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		comment := fs.String("comment", "", "")
		js := fs.Bool("json", false, "")
		pos, err := parseInterleaved(fs, tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !slices.Equal(pos, tt.pos) || *comment != tt.comment || *js != tt.json {
			t.Errorf("%q: pos %q comment %q json %v; want %q %q %v", tt.args, pos, *comment, *js, tt.pos, tt.comment, tt.json)
		}
	}
}

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{
		"data-dir": "IPFWATCH_DATA_DIR", "listen": "IPFWATCH_LISTEN", "max-age": "IPFWATCH_MAX_AGE", "tls-cert": "IPFWATCH_TLS_CERT",
	} {
		if got := envName(flagName); got != want {
			t.Errorf("envName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestOverridesFromFlagsAndEnv(t *testing.T) {
	env := map[string]string{"IPFWATCH_PATH": "/hook", "IPFWATCH_MAX_AGE": "2h"}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var c common
	c.register(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--listen", "127.0.0.1:9000"}); err != nil {
		t.Fatal(err)
	}
	o := c.overrides(fs)
	if o.Listen == nil || *o.Listen != "127.0.0.1:9000" {
		t.Errorf("listen override %v", o.Listen)
	}
	if o.Path == nil || *o.Path != "/hook" {
		t.Errorf("path from env: %v", o.Path)
	}
	if o.MaxAge == nil || *o.MaxAge != 2*time.Hour {
		t.Errorf("max-age from env: %v", o.MaxAge)
	}
	if o.TLSCert != nil || o.TLSKey != nil {
		t.Errorf("unset flags overridden: %v %v", o.TLSCert, o.TLSKey)
	}
	if got := o.Fields(); !slices.Equal(got, []string{"listen", "path", "max_age"}) {
		t.Errorf("fields %v", got)
	}
}

func TestHasDisplay(t *testing.T) {
	tests := []struct {
		goos string
		env  map[string]string
		want bool
	}{
		{"linux", nil, false},
		{"linux", map[string]string{"DISPLAY": ":0"}, true},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
		{"freebsd", nil, false},
		{"darwin", nil, true},
		{"windows", nil, true},
	}
	for _, tt := range tests {
		if got := hasDisplay(tt.goos, func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("hasDisplay(%s, %v) = %v", tt.goos, tt.env, got)
		}
	}
}

func TestClipAndQuote(t *testing.T) {
	if got := clip("a\x1b[31mred\nline", 40); strings.ContainsAny(got, "\x1b\n") {
		t.Errorf("control characters survive: %q", got)
	}
	if got := clip("abcdefghij", 5); got != "abcd…" {
		t.Errorf("clip = %q", got)
	}
	got := quoteArgs([]string{"/bin/fix", "--id", "a b", "$(x)", ""})
	want := []string{"/bin/fix", "--id", `"a b"`, `"$(x)"`, `""`}
	if !slices.Equal(got, want) {
		t.Errorf("quoteArgs = %q, want %q", got, want)
	}
}

func TestUsageAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run([]string{"--help"}, Env{Stdout: &out, Stderr: &errOut}); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, s := range []string{"serve", "log", "send", "proposals", "approve", "reject", "runs", "run-output", "data-dir", "IPFWATCH_DATA_DIR", "IPF_WEBHOOK_SECRET"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("help lacks %q", s)
		}
	}
	out.Reset()
	if code := Run([]string{"frobnicate"}, Env{Stdout: &out, Stderr: &errOut}); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	if code := Run([]string{"approve", "x"}, Env{Stdout: &out, Stderr: &errOut}); code != 2 {
		t.Errorf("approve x: exit %d", code)
	}
	out.Reset()
	if code := Run([]string{"log", "--help"}, Env{Stdout: &out, Stderr: &errOut}); code != 0 || !strings.Contains(out.String(), "--failures") {
		t.Errorf("log --help: %d %q", code, out.String())
	}
}

func TestHeadlessFallbackNeedsNoDisplay(t *testing.T) {
	// With no display, `ipfwatch` runs `serve`; an unusable listen address
	// makes it stop at once, which proves it took the serve path.
	var out, errOut bytes.Buffer
	env := map[string]string{"IPFWATCH_DATA_DIR": t.TempDir(), "IPFWATCH_LISTEN": "bad-address"}
	guiCalled := false
	code := Run(nil, Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] },
		GUI: func(*app.App, *slog.Logger, <-chan struct{}) int { guiCalled = true; return 0 }})
	if guiCalled || code == 0 || !strings.Contains(errOut.String(), "no display") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestSecretCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"IPFWATCH_DATA_DIR": dir}
	run := func(stdin string, args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := Run(args, Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin), Getenv: noDisplayEnv(env)})
		return out.String(), errOut.String(), code
	}
	out, _, code := run("", "secret")
	if code != 0 || !strings.Contains(out, "current secret: not set") {
		t.Fatalf("no secret yet: %d %q", code, out)
	}
	out, _, code = run("first-secret\n", "secret", "--set-stdin")
	if code != 0 || !strings.Contains(out, "stored in the") {
		t.Fatalf("--set-stdin: %d %q", code, out)
	}
	out, _, code = run("", "secret", "--generate")
	generated := strings.TrimSpace(out)
	if code != 0 || len(generated) != 64 {
		t.Fatalf("--generate: %d %q", code, out)
	}
	// Showing never prints a value; the old secret became the previous one.
	out, _, _ = run("", "secret")
	if strings.Contains(out, generated) || strings.Contains(out, "first-secret") ||
		!strings.Contains(out, "current secret: set (64 characters)") || !strings.Contains(out, "previous secret: set (12 characters)") {
		t.Errorf("secret shows %q", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "secret.current"))
	if err != nil || strings.TrimSpace(string(b)) != generated {
		t.Errorf("stored %q %v", b, err)
	}
	// The environment wins, so storing under it is refused.
	env["IPF_WEBHOOK_SECRET"] = "x"
	if _, errOut, code := run("", "secret", "--generate"); code != 1 || !strings.Contains(errOut, "IPF_WEBHOOK_SECRET") {
		t.Errorf("under the environment: %d %q", code, errOut)
	}
}
