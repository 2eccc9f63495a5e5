package autostart

import (
	"bufio"
	"fmt"
	"strings"
)

// DesktopEntry is the XDG autostart entry that runs exe, an absolute path,
// with args. It declares Desktop Entry Specification 1.4, the newest that
// desktop-file-validate 0.26 (Debian 12) knows; 1.5 changed nothing used
// here.
func DesktopEntry(exe string, args []string) (string, error) {
	if err := checkCommand(exe, args, func(p string) bool { return strings.HasPrefix(p, "/") }); err != nil {
		return "", err
	}
	if strings.Contains(exe, "%") {
		// "%%" is the spec's way, but GLib checks that the program exists
		// before it expands field codes, so GNOME would never start it.
		return "", fmt.Errorf("%w: %q: desktops cannot start a program whose path holds %%", ErrBadCommand, exe)
	}
	words := make([]string, 0, 1+len(args))
	for _, s := range append([]string{exe}, args...) {
		words = append(words, execWord(s))
	}
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Version=1.4\n" +
		"Name=" + Name + "\n" +
		"Comment=" + Comment + "\n" +
		"Exec=" + escapeString(strings.Join(words, " ")) + "\n" +
		"Icon=" + Icon + "\n" +
		"Terminal=false\n" +
		"Categories=Network;Monitor;\n" +
		"X-GNOME-Autostart-enabled=true\n", nil
}

// hiddenEntry overrides a system-wide entry of the same name: the spec's
// way for one user to turn it off.
const hiddenEntry = "[Desktop Entry]\nType=Application\nName=" + Name + "\nHidden=true\n"

// execReserved are the characters the spec says an Exec argument must be
// quoted for.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// execWord quotes one argument by the spec's Exec rules: inside double
// quotes, backslash-escape `"`, "`", "$" and "\"; a literal "%" is "%%"
// (it would start a field code) quoted or not.
func execWord(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, execReserved) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if strings.ContainsRune("\"`$\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// escapeString applies the key file's escapes for string values, which
// the spec applies before the Exec quoting: so a backslash inside a quoted
// argument is written as four.
func escapeString(s string) string {
	return strings.ReplaceAll(s, `\`, `\\`)
}

// unescapeString undoes the key file's string escapes.
func unescapeString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 's':
				b.WriteByte(' ')
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitExec turns an Exec value (string escapes already undone) back into
// the program and its arguments. Field codes other than "%%" are dropped,
// as a launcher with no files or URLs to pass would.
func splitExec(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '%' && i+1 < len(s):
			i++
			if s[i] == '%' {
				cur.WriteByte('%')
				inWord = true
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("autostart: unterminated quote in Exec=%s", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// parseDesktopEntry reads what Status needs from an entry: whether it is
// on (neither Hidden=true nor X-GNOME-Autostart-enabled=false, the switch
// GNOME's and other desktops' startup settings flip) and what it runs.
func parseDesktopEntry(content string) (enabled bool, command []string, err error) {
	enabled = true
	inGroup := false
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inGroup = line == "[Desktop Entry]"
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inGroup || !ok || strings.HasPrefix(line, "#") {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "Hidden":
			if value == "true" {
				enabled = false
			}
		case "X-GNOME-Autostart-enabled":
			if value == "false" {
				enabled = false
			}
		case "Exec":
			if command, err = splitExec(unescapeString(value)); err != nil {
				return false, nil, err
			}
		}
	}
	if len(command) == 0 {
		enabled = false
	}
	return enabled, command, sc.Err()
}
