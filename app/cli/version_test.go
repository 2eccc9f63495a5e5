package cli

import (
	"bytes"
	"testing"

	"github.com/ipfwatch/ipfwatch/app/version"
)

// TestVersion: the command and the top-level flag print the same line,
// with the commit and the Go version, and exit 0 without starting anything.
func TestVersion(t *testing.T) {
	want := version.Get().String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}, {"--data-dir", t.TempDir(), "version"}} {
		var out, errOut bytes.Buffer
		code := Run(args, Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)})
		if code != 0 || out.String() != want || errOut.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q (want %q), stderr %q", args, code, out.String(), want, errOut.String())
		}
	}
}
