package settings

import (
	"testing"

	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

// TestMain fails the package if a goroutine of the view outlives its tests.
func TestMain(m *testing.M) { uitest.Main(m) }
