package uitest

import (
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// fyneGoroutines are Fyne's own, which outlive a test window by design:
// they are not ours to stop.
var fyneGoroutines = []goleak.Option{
	// The test driver's event queue, started at package init.
	goleak.IgnoreTopFunction("fyne.io/fyne/v2/internal/async.(*UnboundedChan[...]).processing"),
}

// Main runs a UI package's tests and then fails it if any goroutine
// outlives them: every view is stopped and every App shut down in its
// test's cleanup, and each must end all it started.
func Main(m *testing.M) {
	goleak.VerifyTestMain(m, fyneGoroutines...)
}

// OursRunning lists the goroutines, other than the caller's, that are
// running ipfwatch code: after ui.Run has returned there must be none,
// since once Fyne's loop has ended a widget change from any of them would
// run off the UI goroutine.
func OursRunning() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var ours []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 {
			continue // the caller's own goroutine comes first
		}
		if strings.Contains(g, "github.com/ipfwatch/ipfwatch/") {
			ours = append(ours, g)
		}
	}
	return ours
}
