// Command bareparked is scripts/measure/bare with the idle parker: the
// smallest Fyne tray app, whose event loop is parked while its window is
// hidden. `make measure` runs both, so the parker's effect on idle CPU,
// context switches and tray-click latency is read in the same run. (It
// lives here because ui/internal/idle can only be imported from under ui/.)
//
// Like bare, each menu action prints "hello <ns>" or "shown <ns>" with the
// time it ran.
package main

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/ui/internal/idle"
)

func main() {
	a := app.NewWithID("io.github.ipfwatch.bareparked")
	w := a.NewWindow("bare")
	w.SetContent(widget.NewLabel("hello"))
	shown := false // read and written on Fyne's loop only
	p := idle.NewParker(func() bool { return shown })
	if d, ok := a.(desktop.App); ok {
		d.SetSystemTrayMenu(fyne.NewMenu("bare",
			fyne.NewMenuItem("Hello", func() { fmt.Println("hello", time.Now().UnixNano()) }),
			fyne.NewMenuItem("Show", func() {
				shown = true
				w.Show()
				fmt.Println("shown", time.Now().UnixNano())
			}),
		))
	}
	w.SetCloseIntercept(func() { shown = false; w.Hide() })
	p.Start()
	a.Run()
	p.Stop()
}
