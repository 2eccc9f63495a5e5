// Package version says which ipfwatch is running: the release (FyneApp.toml's
// Version), the commit it was built from and the Go that built it, so a bug
// report can name the exact build. The Makefile sets Version and Commit
// with -ldflags -X; a plain `go build` or `go install` falls back on what
// the Go toolchain recorded in the binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time:
//
//	go build -ldflags "-X github.com/ipfwatch/ipfwatch/app/version.Version=0.1.0 \
//	    -X github.com/ipfwatch/ipfwatch/app/version.Commit=65fd466-dirty"
//
// Empty means unknown: Get then asks the build info.
var (
	// Version is the release, FyneApp.toml's [Details] Version.
	Version string
	// Commit is `git rev-parse --short HEAD`, with "-dirty" if the tree
	// had uncommitted changes.
	Commit string
)

// Info is one build's identity.
type Info struct {
	Version string // "0.1.0", or "dev" when unknown
	Commit  string // "65fd466", "65fd466-dirty", or "unknown"
	Go      string // "go1.26.8"
	OS      string // runtime.GOOS
	Arch    string // runtime.GOARCH
}

// Get returns the running binary's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Version, Commit, bi)
}

// String is the one line `ipfwatch --version` prints.
func (i Info) String() string {
	return fmt.Sprintf("ipfwatch %s (commit %s, %s, %s/%s)", i.Version, i.Commit, i.Go, i.OS, i.Arch)
}

// resolve fills in what the linker flags left empty from bi (nil when the
// binary has no build info): the module version of `go install ...@v1.2.3`,
// and the vcs.revision and vcs.modified stamps `go build` writes inside a
// git checkout (unless -buildvcs=false).
func resolve(version, commit string, bi *debug.BuildInfo) Info {
	i := Info{Version: version, Commit: commit, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi != nil {
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = strings.TrimPrefix(bi.Main.Version, "v")
		}
		if bi.GoVersion != "" {
			i.Go = bi.GoVersion
		}
		if i.Commit == "" {
			var rev, modified string
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			if len(rev) > 7 {
				rev = rev[:7]
			}
			if rev != "" && modified == "true" {
				rev += "-dirty"
			}
			i.Commit = rev
		}
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	if i.Commit == "" {
		i.Commit = "unknown"
	}
	return i
}
