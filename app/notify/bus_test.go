package notify

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSessionBusMissing(t *testing.T) {
	none := func(string) bool { return false }
	all := func(string) bool { return true }
	tests := []struct {
		name   string
		goos   string
		env    map[string]string
		exists func(string) bool
		want   bool
	}{
		{"linux, no bus anywhere", "linux", nil, none, true},
		{"linux, address set", "linux", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/x"}, none, false},
		{"linux, autolaunch: is not a bus", "linux", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}, none, true},
		{"linux, systemd user bus", "linux", nil, all, false},
		{"freebsd, no bus", "freebsd", nil, none, true},
		{"darwin needs none", "darwin", nil, none, false},
		{"windows needs none", "windows", nil, none, false},
	}
	for _, tt := range tests {
		got := sessionBusMissing(tt.goos, func(k string) string { return tt.env[k] }, tt.exists)
		if got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestBeeepWithoutBusRefuses checks that Send, with no session bus, refuses
// at once instead of letting the D-Bus library autolaunch a daemon.
func TestBeeepWithoutBusRefuses(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	old := busExists
	busExists = func(string) bool { return false }
	t.Cleanup(func() { busExists = old })
	err := Beeep{}.Send("title", "body", false)
	if !errors.Is(err, ErrNoSessionBus) {
		t.Fatalf("Send without a bus: %v", err)
	}
}

// TestOnHealthReportsChanges checks that a Center reports when sending
// starts failing and when it works again, and only then.
func TestOnHealthReportsChanges(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	var mu sync.Mutex
	var got []bool
	s := senderFunc(func() error {
		if fail.Load() {
			return errors.New("no daemon")
		}
		return nil
	})
	c := NewCenter(s, Options{Window: time.Millisecond, OnHealth: func(err error) {
		mu.Lock()
		got = append(got, err == nil)
		mu.Unlock()
	}})
	c.Post(Notification{Kind: SnapshotFailed, Title: "a"})
	c.waitIdle()
	c.Post(Notification{Kind: SnapshotFailed, Title: "b"})
	c.waitIdle()
	fail.Store(false)
	time.Sleep(5 * time.Millisecond)
	c.Post(Notification{Kind: SnapshotFailed, Title: "c"})
	c.waitIdle()
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] || !got[1] {
		t.Errorf("health reports %v, want [false true]", got)
	}
}

type senderFunc func() error

func (f senderFunc) Send(string, string, bool) error { return f() }
