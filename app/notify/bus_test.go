package notify

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBeeepWithoutBusRefuses checks that Send, with no session bus, refuses
// at once instead of letting the D-Bus library autolaunch a daemon.
func TestBeeepWithoutBusRefuses(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	old := busMissing
	busMissing = func() bool { return true }
	t.Cleanup(func() { busMissing = old })
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
