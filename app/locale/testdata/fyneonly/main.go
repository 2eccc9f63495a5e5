// Command fyneonly initialises Fyne's lang package without ipfwatch's
// locale fix, so tests can see which environments Fyne itself complains
// about.
package main

import (
	_ "fyne.io/fyne/v2/lang"
)

func main() {}
