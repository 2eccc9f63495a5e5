package autostart

import (
	"fmt"
	"strings"
)

// RunKey is the registry key, under HKEY_CURRENT_USER, whose values
// Windows runs at logon; the value is named Name.
const RunKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// RunValue is the command line to store in the Run key for exe, an
// absolute Windows path, with args. The program is always quoted: an
// unquoted path with spaces is the classic hijack ("C:\Program.exe"). Its
// arguments follow CommandLineToArgvW's rules, as Go's syscall.EscapeArg
// writes them.
func RunValue(exe string, args []string) (string, error) {
	if err := checkCommand(exe, args, windowsAbs); err != nil {
		return "", err
	}
	if strings.Contains(exe, `"`) {
		return "", fmt.Errorf("%w: %q: a Windows path cannot hold a quote", ErrBadCommand, exe)
	}
	words := []string{`"` + exe + `"`}
	for _, a := range args {
		words = append(words, windowsArg(a))
	}
	return strings.Join(words, " "), nil
}

// windowsAbs reports whether p is a drive-absolute (C:\...) or UNC
// (\\server\share\...) path, on any OS.
func windowsAbs(p string) bool {
	if len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		return true
	}
	return strings.HasPrefix(p, `\\`)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// windowsArg quotes one argument for CommandLineToArgvW: backslashes are
// literal except before a quote, where each must be doubled.
func windowsArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// splitRunValue parses a Run command line the way CommandLineToArgvW does
// (for the program: up to the closing quote, no escapes), so Status can
// name what is configured.
func splitRunValue(s string) []string {
	var words []string
	s = strings.TrimLeft(s, " \t")
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return []string{s[1:]}
		}
		words = append(words, s[1:1+end])
		s = s[2+end:]
	} else {
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return []string{s}
		}
		words = append(words, s[:i])
		s = s[i:]
	}
	var cur strings.Builder
	inWord, quoted, slashes := false, false, 0
	flush := func() {
		cur.WriteString(strings.Repeat(`\`, slashes))
		slashes = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			slashes++
			inWord = true
		case c == '"':
			cur.WriteString(strings.Repeat(`\`, slashes/2))
			if slashes%2 == 1 {
				cur.WriteByte('"')
			} else {
				quoted = !quoted
			}
			slashes = 0
			inWord = true
		case (c == ' ' || c == '\t') && !quoted:
			flush()
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			flush()
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
