package viewkit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// OneLine makes sender-supplied text (a snapshot's name, a rule's comment)
// safe for a one-line label: control and other invisible characters
// (newlines, bidi overrides that would reorder what follows) become U+FFFD.
func OneLine(s string) string {
	clean := true
	for _, r := range s {
		if !shown(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !shown(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func shown(r rune) bool { return r != utf8.RuneError && (unicode.IsPrint(r) || r == ' ') }
