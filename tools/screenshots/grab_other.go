//go:build !linux || wayland

package main

import (
	"image"

	"fyne.io/fyne/v2"
)

// grabWindow has no fallback for Canvas.Capture outside X11.
func grabWindow(fyne.Window) (image.Image, error) { return nil, nil }
