// Package assets holds ipfwatch's images, embedded in the binary: the
// application icon (also named in FyneApp.toml for `fyne package`) and the
// tray icon in each state, drawn twice: dark strokes for light panels and
// light strokes for dark ones, since a tray icon sits on whatever colour the
// desktop's panel has.
//
// The PNGs are drawn by gen/main.go; edit that and run `go generate`.
package assets

//go:generate go run gen/main.go

import (
	"embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png tray-*.png
var files embed.FS

// AppIcon is the 256x256 application icon.
var AppIcon = load("icon.png")

// TrayState is what the tray icon shows, one image per state.
type TrayState string

// The tray icon's states. Which one applies is the UI's decision; the
// badge's colour and its shape both carry the state.
const (
	Listening TrayState = "listening" // green badge, tick
	Attention TrayState = "attention" // amber badge, exclamation mark
	Paused    TrayState = "paused"    // grey badge, pause bars
	Error     TrayState = "error"     // red badge, cross
)

// TrayStates lists every state, for tests and previews.
var TrayStates = []TrayState{Listening, Attention, Paused, Error}

var tray = func() map[TrayState][2]fyne.Resource {
	m := map[TrayState][2]fyne.Resource{}
	for _, s := range TrayStates {
		m[s] = [2]fyne.Resource{
			load("tray-" + string(s) + "-light.png"),
			load("tray-" + string(s) + "-dark.png"),
		}
	}
	return m
}()

// Tray returns the 64x64 tray icon for state, drawn for a dark panel when
// darkPanel is set and for a light one otherwise. An unknown state gets the
// error icon: something is wrong if the UI asks for one.
func Tray(state TrayState, darkPanel bool) fyne.Resource {
	v, ok := tray[state]
	if !ok {
		v = tray[Error]
	}
	if darkPanel {
		return v[1]
	}
	return v[0]
}

func load(name string) fyne.Resource {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("assets: " + name + " is not embedded: " + err.Error()) // caught by the build's tests
	}
	return fyne.NewStaticResource(name, b)
}
