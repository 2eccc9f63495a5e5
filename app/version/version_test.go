package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(rev, modified string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}}
	}
	tests := []struct {
		name                 string
		version, commit      string
		bi                   *debug.BuildInfo
		wantV, wantC, wantGo string
	}{
		{"linker flags win", "0.1.0", "abc1234-dirty", vcs("0123456789abcdef", "false"), "0.1.0", "abc1234-dirty", "go1.99.1"},
		{"no build info", "", "", nil, "dev", "unknown", runtime.Version()},
		{"vcs stamp", "", "", vcs("0123456789abcdef", "false"), "dev", "0123456", "go1.99.1"},
		{"vcs stamp, modified", "0.2.0", "", vcs("0123456789abcdef", "true"), "0.2.0", "0123456-dirty", "go1.99.1"},
		{"go install @version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.1"}}, "0.3.1", "unknown", runtime.Version()},
		{"short revision", "", "", vcs("abc", ""), "dev", "abc", "go1.99.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.version, tt.commit, tt.bi)
			if got.Version != tt.wantV || got.Commit != tt.wantC || got.Go != tt.wantGo {
				t.Errorf("resolve = %+v, want version %q commit %q go %q", got, tt.wantV, tt.wantC, tt.wantGo)
			}
		})
	}
}

func TestString(t *testing.T) {
	i := Info{Version: "0.1.0", Commit: "65fd466", Go: "go1.26.8", OS: "linux", Arch: "amd64"}
	if got, want := i.String(), "ipfwatch 0.1.0 (commit 65fd466, go1.26.8, linux/amd64)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// TestLinkerFlags builds a program printing Get() with the -X flags the
// Makefile passes and checks they arrive (a renamed variable would
// silently leave "dev").
func TestLinkerFlags(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte(`package main

import (
	"fmt"

	"github.com/ipfwatch/ipfwatch/app/version"
)

func main() { fmt.Print(version.Get()) }
`), 0o600)
	exe := filepath.Join(dir, "prog")
	pkg := "github.com/ipfwatch/ipfwatch/app/version"
	build := exec.Command("go", "build", "-o", exe,
		"-ldflags", "-X "+pkg+".Version=9.8.7 -X "+pkg+".Commit=feedbee-dirty", src)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(exe).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "ipfwatch 9.8.7 (commit feedbee-dirty, " + runtime.Version(); !strings.HasPrefix(string(out), want) {
		t.Errorf("got %q, want prefix %q", out, want)
	}
}
