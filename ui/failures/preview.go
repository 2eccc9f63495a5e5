package failures

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPreview is how much of a refused body is shown (the store keeps no more).
const maxPreview = 4 << 10

// Preview renders a refused body for reading as plain text. The body is
// whatever a stranger sent, so nothing in it may act on the screen: bytes
// that are not printable UTF-8 (control characters, bidi overrides, invalid
// sequences) are written as \xNN, a backslash as \\, and only newlines and
// tabs are kept. At most maxPreview bytes are shown; size is how many the
// request carried, so the preview can say what it left out.
func Preview(body []byte, size int64) string {
	shown := body
	if len(shown) > maxPreview {
		shown = shown[:maxPreview]
	}
	s := escape(shown, true)
	if size > int64(len(shown)) {
		s += fmt.Sprintf("\n… the first %d of %d bytes", len(shown), size)
	}
	return s
}

// escape writes b as printable text; with keepLines newlines and tabs stay.
func escape(b []byte, keepLines bool) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case keepLines && (r == '\n' || r == '\t'):
			sb.WriteRune(r)
		case r == '\\':
			sb.WriteString(`\\`)
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		case r == ' ' || unicode.IsPrint(r):
			sb.Write(b[:n])
		default:
			for _, c := range b[:n] {
				fmt.Fprintf(&sb, `\x%02x`, c)
			}
		}
		b = b[n:]
	}
	return sb.String()
}

// oneLine is escape for a single line of sender-supplied text.
func oneLine(s string) string { return escape([]byte(s), false) }
