package desktoptest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Note is one notification as dunst received it.
type Note struct {
	ID      int32
	AppName string
	Summary string
	Body    string
	// Urgency is "low", "normal" or "critical": what dunst made of the
	// notification's urgency hint.
	Urgency string
}

// String formats the note for test failure messages.
func (n Note) String() string {
	return fmt.Sprintf("#%d [%s] %s: %q / %q", n.ID, n.Urgency, n.AppName, n.Summary, n.Body)
}

const (
	notificationsPath = "/org/freedesktop/Notifications"
	dunstInterface    = "org.dunstproject.cmd0"
)

// Notifications returns every notification dunst has received in this
// session, oldest first. It reads the same data as `dunstctl history`
// (NotificationListHistory), over D-Bus so it needs no busctl. Dunst only
// lists closed notifications there, so it first closes the ones on screen
// (`dunstctl close-all`); nothing a test observes depends on them staying
// open.
func (s *Session) Notifications() ([]Note, error) {
	obj := s.conn.Object(NotificationsName, notificationsPath)
	if err := obj.Call(dunstInterface+".NotificationCloseAll", 0).Err; err != nil {
		return nil, fmt.Errorf("desktoptest: dunst NotificationCloseAll: %w", err)
	}
	var history []map[string]dbus.Variant
	if err := obj.Call(dunstInterface+".NotificationListHistory", 0).Store(&history); err != nil {
		return nil, fmt.Errorf("desktoptest: dunst NotificationListHistory: %w", err)
	}
	notes := make([]Note, 0, len(history))
	for _, h := range history {
		n := Note{
			AppName: variantString(h["appname"]),
			Summary: variantString(h["summary"]),
			Body:    variantString(h["body"]),
			// The dunst configuration written by Start formats each
			// message as its urgency.
			Urgency: strings.TrimSpace(variantString(h["message"])),
		}
		if id, ok := h["id"].Value().(int32); ok {
			n.ID = id
		}
		notes = append(notes, n)
	}
	slices.SortFunc(notes, func(a, b Note) int { return cmp.Compare(a.ID, b.ID) })
	return notes, nil
}

func variantString(v dbus.Variant) string {
	s, _ := v.Value().(string)
	return s
}

// WaitNotification polls dunst until a notification matches, and returns
// it. After timeout it returns an error listing what dunst did receive.
func (s *Session) WaitNotification(match func(Note) bool, timeout time.Duration) (Note, error) {
	deadline := time.Now().Add(timeout)
	for {
		notes, err := s.Notifications()
		if err != nil {
			return Note{}, err
		}
		for _, n := range notes {
			if match(n) {
				return n, nil
			}
		}
		if time.Now().After(deadline) {
			return Note{}, fmt.Errorf("desktoptest: no matching notification after %v; dunst received %d: %v", timeout, len(notes), notes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
