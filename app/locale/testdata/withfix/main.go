// Command withfix initialises Fyne's lang package with ipfwatch's locale
// fix and prints the locale variables it ends with, so tests can see both
// Fyne's stderr and what child processes would inherit.
package main

import (
	"fmt"
	"os"

	_ "fyne.io/fyne/v2/lang"

	_ "github.com/ipfwatch/ipfwatch/app/locale"
)

func main() {
	for _, k := range []string{"LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"} {
		v, ok := os.LookupEnv(k)
		fmt.Printf("%s=%t:%s\n", k, ok, v)
	}
}
