// Command bare is the smallest Fyne tray app: one hidden window and a
// two-item tray menu. `make measure` runs it beside ipfwatch, the same
// way, so ipfwatch's idle CPU, context switches and memory can be read
// against what Fyne itself costs on the same machine. Its parked twin,
// ui/internal/idle/bareparked, is the same app with the idle parker.
//
// Each menu action prints a line with the time it ran (Unix nanoseconds),
// so the measurement can time a tray click from the D-Bus call to the
// action: "hello <ns>" and "shown <ns>" (after the window's Show).
package main

import (
	"fmt"
	"time"

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
		d.SetSystemTrayMenu(fyne.NewMenu("bare",
			fyne.NewMenuItem("Hello", func() { fmt.Println("hello", time.Now().UnixNano()) }),
			fyne.NewMenuItem("Show", func() { w.Show(); fmt.Println("shown", time.Now().UnixNano()) }),
		))
	}
	w.SetCloseIntercept(w.Hide)
	a.Run()
}
