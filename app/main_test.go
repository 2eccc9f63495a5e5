package app_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: every
// App is shut down in its test's cleanup, and Shutdown must stop all it
// started (the listener, post-processing, retention, the watches, the
// remediation runner, the notification center, the store's writer).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
