package desktoptest

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// The dbusmenu a fyne.io/systray tray item exports.
const (
	menuPath      = dbus.ObjectPath("/StatusNotifierMenu")
	menuInterface = "com.canonical.dbusmenu"
)

// callTimeout bounds every call into the application under test, so a hung
// application fails the test instead of hanging it.
const callTimeout = 10 * time.Second

// MenuItem is one entry of a tray menu as the panel would show it.
type MenuItem struct {
	ID      int32
	Label   string
	Enabled bool
	Visible bool
	// Separator is true for separator lines, which have no label.
	Separator bool
	// Parent is the ID of the submenu holding the item, 0 for the top
	// level.
	Parent int32
}

// layout is the (ia{sv}av) structure of com.canonical.dbusmenu.GetLayout.
type layout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// Menu reads the whole tray menu of the application owning busName through
// com.canonical.dbusmenu GetLayout, the way a panel does. Items are listed
// depth first, in menu order; the invisible root is left out. Missing
// "enabled" and "visible" properties mean true, as the dbusmenu
// specification says.
func (s *Session) Menu(busName string) ([]MenuItem, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var (
		revision uint32
		root     layout
	)
	call := s.conn.Object(busName, menuPath).CallWithContext(ctx, menuInterface+".GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		return nil, fmt.Errorf("desktoptest: GetLayout on %s%s: %w", busName, menuPath, err)
	}
	var items []MenuItem
	if err := flatten(root, &items); err != nil {
		return nil, fmt.Errorf("desktoptest: menu of %s: %w", busName, err)
	}
	return items, nil
}

func flatten(parent layout, items *[]MenuItem) error {
	for _, v := range parent.Children {
		var child layout
		if err := dbus.Store([]any{v.Value()}, &child); err != nil {
			return fmt.Errorf("decoding item under %d: %w", parent.ID, err)
		}
		item := MenuItem{ID: child.ID, Parent: parent.ID, Enabled: true, Visible: true}
		if l, ok := child.Props["label"].Value().(string); ok {
			item.Label = l
		}
		if e, ok := child.Props["enabled"].Value().(bool); ok {
			item.Enabled = e
		}
		if vis, ok := child.Props["visible"].Value().(bool); ok {
			item.Visible = vis
		}
		if t, ok := child.Props["type"].Value().(string); ok && t == "separator" {
			item.Separator = true
		}
		*items = append(*items, item)
		if err := flatten(child, items); err != nil {
			return err
		}
	}
	return nil
}

// Click activates menu item id of the application owning busName, as a
// panel does when the engineer clicks it: com.canonical.dbusmenu
// Event(id, "clicked", "", timestamp).
func (s *Session) Click(busName string, id int32) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	call := s.conn.Object(busName, menuPath).CallWithContext(ctx, menuInterface+".Event", 0,
		id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
	if call.Err != nil {
		return fmt.Errorf("desktoptest: clicking item %d of %s: %w", id, busName, call.Err)
	}
	return nil
}

// ClickLabel clicks the first visible item labelled label, so tests can say
// what the engineer would click rather than an ID that changes with the
// menu.
func (s *Session) ClickLabel(busName, label string) error {
	items, err := s.Menu(busName)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Label == label && it.Visible && !it.Separator {
			if !it.Enabled {
				return fmt.Errorf("desktoptest: menu item %q of %s is disabled", label, busName)
			}
			return s.Click(busName, it.ID)
		}
	}
	return fmt.Errorf("desktoptest: no menu item %q in the menu of %s: %v", label, busName, items)
}
