// Command bare is the smallest Fyne tray app: one hidden window and a
// two-item tray menu. `make measure` runs it beside ipfwatch, the same way,
// so ipfwatch's idle CPU, context switches and memory can be read against
// what Fyne itself costs on the same machine; with -park its event loop is
// parked by ui/internal/idle while the window is hidden, as ipfwatch's is,
// so the parker's own effect is read in the same run too. (It lives here
// because ui/internal/idle can only be imported from under ui/.)
//
// Each menu action prints a line with the time it ran (Unix nanoseconds),
// so the measurement can time a tray click from the D-Bus call to the
// action: "hello <ns>" and "shown <ns>" (after the window's Show).
package main

import (
	"flag"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/ui/internal/idle"
)

func main() {
	park := flag.Bool("park", false, "park the event loop while the window is hidden")
	flag.Parse()
	a := app.NewWithID("io.github.ipfwatch.bare")
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
	if *park {
		p.Start()
		defer p.Stop()
	}
	a.Run()
}
