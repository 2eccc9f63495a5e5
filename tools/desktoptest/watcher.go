package desktoptest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// The StatusNotifierWatcher names, as fyne.io/systray calls them: it calls
// RegisterStatusNotifierItem("/StatusNotifierItem") on
// org.kde.StatusNotifierWatcher at /StatusNotifierWatcher, and registers
// again whenever that name gets a new owner.
const (
	WatcherName      = "org.kde.StatusNotifierWatcher"
	watcherPath      = dbus.ObjectPath("/StatusNotifierWatcher")
	watcherInterface = "org.kde.StatusNotifierWatcher"
	itemPath         = "/StatusNotifierItem"
)

// watcherIntrospection describes the interface for introspecting clients
// such as gdbus.
var watcherIntrospection = introspect.Interface{
	Name: watcherInterface,
	Methods: []introspect.Method{
		{Name: "RegisterStatusNotifierItem", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
		{Name: "RegisterStatusNotifierHost", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
	},
	Properties: []introspect.Property{
		{Name: "RegisteredStatusNotifierItems", Type: "as", Access: "read"},
		{Name: "IsStatusNotifierHostRegistered", Type: "b", Access: "read"},
		{Name: "ProtocolVersion", Type: "i", Access: "read"},
	},
	Signals: []introspect.Signal{
		{Name: "StatusNotifierItemRegistered", Args: []introspect.Arg{{Type: "s"}}},
		{Name: "StatusNotifierItemUnregistered", Args: []introspect.Arg{{Type: "s"}}},
		{Name: "StatusNotifierHostRegistered"},
	},
}

// watcher is a minimal org.kde.StatusNotifierWatcher that claims a host is
// present, so tray libraries register their items instead of giving up.
// Items whose bus name leaves the bus are dropped, like a real watcher does.
type watcher struct {
	conn  *dbus.Conn // its own connection, so closing it releases the name
	props *prop.Properties

	mu      sync.Mutex
	items   []string      // "busname/path", in registration order
	changed chan struct{} // closed and replaced on every change
}

func serveWatcher(address string) (*watcher, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	w := &watcher{conn: conn, changed: make(chan struct{})}
	if err := w.export(); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

func (w *watcher) export() error {
	conn := w.conn
	// Watch owners leaving before claiming the name, so no item can vanish
	// unnoticed between its registration and the match rule.
	if err := conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
	); err != nil {
		return fmt.Errorf("watching NameOwnerChanged: %w", err)
	}
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)
	go w.dropVanished(signals)

	props, err := prop.Export(conn, watcherPath, prop.Map{
		watcherInterface: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		return fmt.Errorf("exporting properties: %w", err)
	}
	w.mu.Lock()
	w.props = props
	w.mu.Unlock()
	if err := conn.ExportMethodTable(map[string]any{
		"RegisterStatusNotifierItem": w.registerItem,
		"RegisterStatusNotifierHost": func(string) *dbus.Error { return nil },
	}, watcherPath, watcherInterface); err != nil {
		return fmt.Errorf("exporting methods: %w", err)
	}
	node := &introspect.Node{
		Name: string(watcherPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			watcherIntrospection,
		},
	}
	if err := conn.Export(introspect.NewIntrospectable(node), watcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("exporting introspection: %w", err)
	}

	reply, err := conn.RequestName(WatcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting %s: %w", WatcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("requesting %s: not the primary owner (reply %d)", WatcherName, reply)
	}
	return nil
}

// registerItem implements RegisterStatusNotifierItem. The service is either
// an object path on the caller's connection (what fyne.io/systray sends) or
// a bus name whose item lives at /StatusNotifierItem.
func (w *watcher) registerItem(sender dbus.Sender, service string) *dbus.Error {
	bus, path := string(sender), service
	if !strings.HasPrefix(service, "/") {
		bus, path = service, itemPath
	}
	if bus == "" {
		return dbus.MakeFailedError(fmt.Errorf("no bus name for service %q", service))
	}
	item := bus + path

	w.mu.Lock()
	for _, have := range w.items {
		if have == item {
			w.mu.Unlock()
			return nil
		}
	}
	w.items = append(w.items, item)
	w.publishLocked()
	w.mu.Unlock()

	_ = w.conn.Emit(watcherPath, watcherInterface+".StatusNotifierItemRegistered", item)
	return nil
}

// dropVanished removes the items of bus names that left the bus. It ends
// when the connection is closed.
func (w *watcher) dropVanished(signals <-chan *dbus.Signal) {
	for sig := range signals {
		if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
			continue
		}
		name, _ := sig.Body[0].(string)
		newOwner, _ := sig.Body[2].(string)
		if name == "" || newOwner != "" {
			continue
		}
		var gone []string
		w.mu.Lock()
		kept := w.items[:0]
		for _, item := range w.items {
			if itemBus(item) == name {
				gone = append(gone, item)
				continue
			}
			kept = append(kept, item)
		}
		w.items = kept
		if len(gone) > 0 {
			w.publishLocked()
		}
		w.mu.Unlock()
		for _, item := range gone {
			_ = w.conn.Emit(watcherPath, watcherInterface+".StatusNotifierItemUnregistered", item)
		}
	}
}

// publishLocked updates the property and wakes waiters; w.mu must be held.
func (w *watcher) publishLocked() {
	w.setItems(append([]string{}, w.items...))
	close(w.changed)
	w.changed = make(chan struct{})
}

// setItems sets the RegisteredStatusNotifierItems property. prop's SetMust
// panics when it cannot emit PropertiesChanged, which is what happens when
// an item's name leaves the bus while the session is ending: the
// connection is closed, and there is nobody left to tell. That panic is
// dropped; on a live connection it is a bug and goes on.
func (w *watcher) setItems(items []string) {
	defer func() {
		if p := recover(); p != nil && w.conn.Connected() {
			panic(p)
		}
	}()
	w.props.SetMust(watcherInterface, "RegisteredStatusNotifierItems", items)
}

func itemBus(item string) string {
	bus, _, _ := strings.Cut(item, "/")
	return bus
}

func (w *watcher) close() { w.conn.Close() }

// Items returns the registered tray items as "busname/objectpath", the form
// of the RegisteredStatusNotifierItems property, in registration order. It
// is empty without Options.Watcher.
func (s *Session) Items() []string {
	if s.watcher == nil {
		return nil
	}
	s.watcher.mu.Lock()
	defer s.watcher.mu.Unlock()
	return append([]string{}, s.watcher.items...)
}

// WaitItem waits until a tray item is registered and returns the bus name
// of the first one, which is where its dbusmenu lives.
func (s *Session) WaitItem(timeout time.Duration) (string, error) {
	if s.watcher == nil {
		return "", errNoWatcher
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.watcher.mu.Lock()
		items, changed := s.watcher.items, s.watcher.changed
		var first string
		if len(items) > 0 {
			first = items[0]
		}
		s.watcher.mu.Unlock()
		if first != "" {
			return itemBus(first), nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return "", fmt.Errorf("desktoptest: no tray item registered with the StatusNotifierWatcher after %v", timeout)
		}
	}
}
