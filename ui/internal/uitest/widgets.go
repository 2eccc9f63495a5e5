package uitest

import (
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// walk calls visit for every visible object under o, as rendered now, until
// visit returns false.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) bool {
	if o == nil || !o.Visible() {
		return true
	}
	if !visit(o) {
		return false
	}
	switch x := o.(type) {
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if !walk(c, visit) {
				return false
			}
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			if !walk(c, visit) {
				return false
			}
		}
	}
	return true
}

// Labels returns the text of every visible label, button and hyperlink
// under o, as rendered now.
func Labels(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(o fyne.CanvasObject) bool {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.Button:
			out = append(out, x.Text)
		case *widget.Hyperlink:
			out = append(out, x.Text)
		}
		return true
	})
	return out
}

// HasLabel says whether a visible label under o reads exactly text.
func HasLabel(o fyne.CanvasObject, text string) bool {
	for _, s := range Labels(o) {
		if s == text {
			return true
		}
	}
	return false
}

// ContainsLabel says whether a visible label under o contains sub.
func ContainsLabel(o fyne.CanvasObject, sub string) bool {
	for _, s := range Labels(o) {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Button finds a visible button by its text under o (a window's content or
// an overlay such as a dialog), failing the test if there is none.
func Button(tb testing.TB, o fyne.CanvasObject, text string) *widget.Button {
	tb.Helper()
	var found *widget.Button
	walk(o, func(o fyne.CanvasObject) bool {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return false
		}
		return true
	})
	if found == nil {
		tb.Fatalf("no visible button %q; labels: %q", text, Labels(o))
	}
	return found
}

// Show puts content in a test window of the given size, closed when the
// test ends.
func Show(tb testing.TB, content func(w fyne.Window) fyne.CanvasObject, size fyne.Size) fyne.Window {
	tb.Helper()
	w := test.NewWindow(widget.NewLabel(""))
	w.SetContent(content(w))
	w.Resize(size)
	tb.Cleanup(w.Close)
	return w
}

// URLOpener is a Fyne app that records the URLs it is asked to open
// instead of opening them: install it with fyne.SetCurrentApp.
type URLOpener struct {
	fyne.App
	Opened []string
}

// OpenURL records x.
func (u *URLOpener) OpenURL(x *url.URL) error {
	u.Opened = append(u.Opened, x.String())
	return nil
}
