package uitest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// MainWindow is the main window's usual size (ui.windowSize, which this
// package cannot import): every view must fit it, whatever is selected or
// open.
var MainWindow = fyne.NewSize(1000, 650)

// InShell puts content where the main window has it: in a tab titled
// title, above the status bar.
func InShell(title string, icon fyne.Resource, content fyne.CanvasObject) fyne.CanvasObject {
	bar := widget.NewLabel("Listening on 127.0.0.1:8080/ipfabric · 9 events today · 6 rejected today")
	return container.NewBorder(nil, bar, nil, nil,
		container.NewAppTabs(container.NewTabItemWithIcon(title, icon, content)))
}
