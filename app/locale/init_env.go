//go:build !windows && !darwin && !js && !android

package locale

import "os"

// The build constraint is go-locale's own for reading the environment
// (its locale_unix.go).
func init() {
	if v, ok := languageFix(os.Getenv); ok {
		os.Setenv("LANGUAGE", v)
	}
}
