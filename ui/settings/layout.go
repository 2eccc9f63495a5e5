package settings

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// section is a heading with a short explanation over a group of fields.
func section(title, about string, content fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewRichText(
		&widget.TextSegment{Text: title, Style: widget.RichTextStyle{SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}, Inline: true}},
		&widget.TextSegment{Text: "  " + about, Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, Inline: true}},
	)
	return container.NewVBox(head, content, widget.NewSeparator())
}

func label(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
}

func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.SizeName = theme.SizeNameCaptionText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// row lays out one field: its label, and under the editor a hint and the
// field's inline error (hidden while there is none).
func (v *View) row(key, title string, editor fyne.CanvasObject, hintText string) [2]fyne.CanvasObject {
	return v.rowWith(key, title, editor, hint(hintText))
}

func (v *View) rowWith(key, title string, editor fyne.CanvasObject, h *widget.Label) [2]fyne.CanvasObject {
	e := widget.NewLabel("")
	e.Importance = widget.DangerImportance
	e.Wrapping = fyne.TextWrapWord
	e.Hide()
	v.errs[key] = e
	v.hints[key] = h
	v.order = append(v.order, key)
	// The hint and the error hug their editor: a label's own padding is
	// space enough.
	tight := layout.NewCustomPaddedVBoxLayout(-2 * theme.Padding())
	return [2]fyne.CanvasObject{label(title), container.New(tight, editor, h, e)}
}

func form(rows ...[2]fyne.CanvasObject) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, r := range rows {
		objs = append(objs, r[0], r[1])
	}
	return container.New(layout.NewFormLayout(), objs...)
}

// secretEntry is a masked entry without Fyne's own reveal icon, which
// cannot reveal a disabled entry (the environment's secret) and would fall
// out of step with the Show button: a zero-size action item takes its
// place.
func secretEntry() *widget.Entry {
	e := widget.NewEntry()
	e.Password = true
	e.ActionItem = canvas.NewRectangle(color.Transparent)
	return e
}

func toggleShown(e *widget.Entry, b *widget.Button) {
	e.Password = !e.Password
	if e.Password {
		b.SetText("Show")
		b.SetIcon(theme.VisibilityIcon())
	} else {
		b.SetText("Hide")
		b.SetIcon(theme.VisibilityOffIcon())
	}
	e.Refresh()
}
