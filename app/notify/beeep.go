package notify

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"sync"

	"github.com/gen2brain/beeep"
)

// Beeep sends notifications with github.com/gen2brain/beeep: on Linux over
// D-Bus to the notification daemon (falling back to notify-send), on macOS
// to the notification center, on Windows as toasts.
//
// Urgent notifications use beeep.Alert, the only beeep v0.12.0 call that
// marks a notification critical on Linux (so dunst and desktop shells keep
// it on screen until dismissed). Alert also beeps: the PC speaker, a sound
// server if one runs, else a BEL character written to standard output.
type Beeep struct {
	// AppName is how the desktop names the sender; empty means "ipfwatch".
	AppName string
	// Icon is PNG data, or nil for none. Anything that is not a PNG is
	// left out (and reported), because beeep would otherwise abandon
	// D-Bus for its slower fallbacks.
	Icon []byte
}

// beeepMu guards beeep.AppName, a package variable beeep reads while
// sending.
var beeepMu sync.Mutex

// Send implements Sender.
func (b Beeep) Send(title, body string, urgent bool) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	var icon any = "" // beeep rejects a nil icon
	var iconErr error
	if len(b.Icon) > 0 {
		if _, err := png.DecodeConfig(bytes.NewReader(b.Icon)); err != nil {
			iconErr = fmt.Errorf("notify: icon is not a PNG, sent without it: %w", err)
		} else {
			icon = b.Icon
		}
	}
	name := b.AppName
	if name == "" {
		name = "ipfwatch"
	}

	beeepMu.Lock()
	defer beeepMu.Unlock()
	beeep.AppName = name
	var err error
	if urgent {
		err = beeep.Alert(title, body, icon)
	} else {
		err = beeep.Notify(title, body, icon)
	}
	if err != nil {
		err = fmt.Errorf("notify: sending %q: %w", title, err)
	}
	return errors.Join(err, iconErr)
}
