package viewkit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Wrapped is a label that wraps at word boundaries: the panes are narrow,
// and sender-supplied text may be long.
func Wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// Heading is a bold label that wraps.
func Heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Wrapping = fyne.TextWrapWord
	return l
}

// ErrorText is a hidden label for a form's error, in the danger colour;
// SetText and Show it when there is one.
func ErrorText() *widget.Label {
	l := Wrapped("")
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}
