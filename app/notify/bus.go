package notify

import (
	"errors"

	"github.com/ipfwatch/ipfwatch/app/sessionbus"
)

// ErrNoSessionBus is LastError when there is no session bus to send to.
var ErrNoSessionBus = errors.New("notify: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset): desktop notifications are off")

// busMissing is sessionbus.Missing; tests replace it to observe the refusal
// on machines that have a bus.
var busMissing = sessionbus.Missing

// checkSessionBus keeps beeep from reaching for a bus that is not there
// (see package sessionbus for why that matters).
func checkSessionBus() error {
	if busMissing() {
		return ErrNoSessionBus
	}
	return nil
}
