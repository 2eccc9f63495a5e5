// Command bare is the smallest Fyne tray app: one hidden window and a
// one-item tray menu. `make measure` runs it beside ipfwatch, the same
// way, so ipfwatch's idle CPU and memory can be read against what Fyne
// itself costs on the same machine.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.github.ipfwatch.bare")
	w := a.NewWindow("bare")
	w.SetContent(widget.NewLabel("hello"))
	if d, ok := a.(desktop.App); ok {
		d.SetSystemTrayMenu(fyne.NewMenu("bare", fyne.NewMenuItem("Hello", func() {})))
	}
	w.SetCloseIntercept(w.Hide)
	a.Run()
}
