package autostart

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// commands are command lines every format must carry unchanged.
var commands = [][]string{
	{"/home/ana/.local/bin/ipfwatch"},
	{"/opt/ip fabric/ipfwatch", "--data-dir", "/home/ana/ipf data"},
	{`/tmp/w $x "q" \b 'a' ` + "`t`" + ` ;&|<>~*?#()/ipfwatch`, `100%`, `%f`, `C:\x\`, `"`, ``, `a\\"b`},
	{"/Users/anaïs/Applications/ipfwatch.app/Contents/MacOS/ipfwatch", "<&>"},
}

func TestDesktopEntry(t *testing.T) {
	got, err := DesktopEntry("/home/ana/.local/bin/ipfwatch", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "[Desktop Entry]\nType=Application\nVersion=1.4\nName=ipfwatch\nComment=" + Comment +
		"\nExec=/home/ana/.local/bin/ipfwatch\nIcon=io.github.ipfwatch\nTerminal=false\nCategories=Network;Monitor;\nX-GNOME-Autostart-enabled=true\n"
	if got != want {
		t.Errorf("DesktopEntry =\n%s\nwant\n%s", got, want)
	}
}

// TestExecQuoting checks the Exec line against the spec's own examples of
// the two escaping layers, and that every command survives a round trip.
func TestExecQuoting(t *testing.T) {
	tests := []struct{ arg, exec string }{
		{"/usr/bin/ipfwatch", "/usr/bin/ipfwatch"},
		{"/opt/a b/ipfwatch", `"/opt/a b/ipfwatch"`},
		{`/opt/a\b`, `"/opt/a\\\\b"`}, // the spec: a literal backslash is four
		{`/opt/$x`, `"/opt/\\$x"`},    // and a dollar sign is \\$
		{`/opt/"q"`, `"/opt/\\"q\\""`},
		{"/opt/`t`", "\"/opt/\\\\`t\\\\`\""},
		{"100%", "100%%"},
		{"a 100%", `"a 100%%"`},
		{"", `""`},
		{"/opt/x=y", "/opt/x=y"},
	}
	for _, tt := range tests {
		if got := escapeString(execWord(tt.arg)); got != tt.exec {
			t.Errorf("Exec word for %q = %s, want %s", tt.arg, got, tt.exec)
		}
	}
	for _, cmd := range commands {
		content, err := DesktopEntry(strings.ReplaceAll(cmd[0], "%", ""), cmd[1:])
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		enabled, back, err := parseDesktopEntry(content)
		want := append([]string{strings.ReplaceAll(cmd[0], "%", "")}, cmd[1:]...)
		if err != nil || !enabled || !reflect.DeepEqual(back, want) {
			t.Errorf("round trip of %q: %q, enabled %t, %v\n%s", want, back, enabled, err, content)
		}
	}
}

func TestParseDesktopEntry(t *testing.T) {
	tests := []struct {
		name, content string
		enabled       bool
		cmd           []string
	}{
		{"ours", "[Desktop Entry]\nExec=/a/ipfwatch\n", true, []string{"/a/ipfwatch"}},
		{"hidden", hiddenEntry, false, nil},
		{"turned off in the desktop's settings", "[Desktop Entry]\nExec=/a/ipfwatch\nX-GNOME-Autostart-enabled=false\n", false, []string{"/a/ipfwatch"}},
		{"other group ignored", "[Desktop Action x]\nExec=/b\n[Desktop Entry]\n# c\nExec = /a/ipfwatch --x\n", true, []string{"/a/ipfwatch", "--x"}},
		{"field codes dropped", "[Desktop Entry]\nExec=/a/ipfwatch %U\n", true, []string{"/a/ipfwatch"}},
		{"key file escapes", `[Desktop Entry]` + "\n" + `Exec=/a/b\sc` + "\n", true, []string{"/a/b", "c"}},
	}
	for _, tt := range tests {
		enabled, cmd, err := parseDesktopEntry(tt.content)
		if err != nil || enabled != tt.enabled || !reflect.DeepEqual(cmd, tt.cmd) {
			t.Errorf("%s: enabled %t, %q, %v; want %t, %q", tt.name, enabled, cmd, err, tt.enabled, tt.cmd)
		}
	}
	if _, _, err := parseDesktopEntry("[Desktop Entry]\nExec=\"/a b\n"); err == nil {
		t.Error("an unterminated quote was accepted")
	}
}

func TestLaunchAgent(t *testing.T) {
	for _, cmd := range commands {
		content, err := LaunchAgent(cmd[0], cmd[1:])
		if err != nil {
			t.Fatal(err)
		}
		// Well-formed XML whose strings are exactly the command.
		var doc struct {
			Dict struct {
				Keys   []string `xml:"key"`
				Label  []string `xml:"string"`
				Arrays []struct {
					Strings []string `xml:"string"`
				} `xml:"array"`
			} `xml:"dict"`
		}
		if err := xml.Unmarshal([]byte(content), &doc); err != nil {
			t.Fatalf("%q: %v\n%s", cmd, err, content)
		}
		if want := []string{"Label", "ProgramArguments", "RunAtLoad", "LimitLoadToSessionType", "ProcessType"}; !reflect.DeepEqual(doc.Dict.Keys, want) {
			t.Errorf("keys %q, want %q", doc.Dict.Keys, want)
		}
		if len(doc.Dict.Arrays) != 1 || !reflect.DeepEqual(doc.Dict.Arrays[0].Strings, cmd) {
			t.Errorf("ProgramArguments %+v, want %q", doc.Dict.Arrays, cmd)
		}
		if doc.Dict.Label[0] != "io.github.ipfwatch" {
			t.Errorf("Label %q", doc.Dict.Label[0])
		}
		enabled, back, err := parseLaunchAgent(content)
		if err != nil || !enabled || !reflect.DeepEqual(back, cmd) {
			t.Errorf("parseLaunchAgent: %t, %q, %v; want %q", enabled, back, err, cmd)
		}
	}
	content, _ := LaunchAgent("/a/b<&>", nil)
	if !strings.Contains(content, "<string>/a/b&lt;&amp;&gt;</string>") {
		t.Errorf("not escaped:\n%s", content)
	}
	disabled := strings.Replace(content, "</dict>", "<key>Disabled</key>\n<true/>\n</dict>", 1)
	if enabled, _, _ := parseLaunchAgent(disabled); enabled {
		t.Error("Disabled=true read as enabled")
	}
}

func TestRunValue(t *testing.T) {
	tests := []struct {
		exe  string
		args []string
		want string
	}{
		{`C:\Program Files\ipfwatch\ipfwatch.exe`, nil, `"C:\Program Files\ipfwatch\ipfwatch.exe"`},
		{`C:\ipfwatch.exe`, []string{"--data-dir", `D:\ipf data\`}, `"C:\ipfwatch.exe" --data-dir "D:\ipf data\\"`},
		{`\\server\share\ipfwatch.exe`, []string{`a"b`, ``, `c\d`}, `"\\server\share\ipfwatch.exe" "a\"b" "" c\d`},
	}
	for _, tt := range tests {
		got, err := RunValue(tt.exe, tt.args)
		if err != nil || got != tt.want {
			t.Errorf("RunValue(%q, %q) = %s, %v; want %s", tt.exe, tt.args, got, err, tt.want)
		}
		if back := splitRunValue(got); !reflect.DeepEqual(back, append([]string{tt.exe}, tt.args...)) {
			t.Errorf("splitRunValue(%s) = %q", got, back)
		}
	}
	// Microsoft's examples for CommandLineToArgvW ("Parsing C++ command-line
	// arguments"), after a program name.
	docs := []struct {
		line string
		want []string
	}{
		{`"a b c" d e`, []string{"a b c", "d", "e"}},
		{`"ab\"c" "\\" d`, []string{`ab"c`, `\`, "d"}},
		{`a\\\b d"e f"g h`, []string{`a\\\b`, "de fg", "h"}},
		{`a\\\"b c d`, []string{`a\"b`, "c", "d"}},
		{`a\\\\"b c" d e`, []string{`a\\b c`, "d", "e"}},
	}
	for _, d := range docs {
		got := splitRunValue(`"C:\p.exe" ` + d.line)
		if want := append([]string{`C:\p.exe`}, d.want...); !reflect.DeepEqual(got, want) {
			t.Errorf("splitRunValue(%s) = %q, want %q", d.line, got, want)
		}
	}
}

func TestBadCommands(t *testing.T) {
	bad := [][]string{{"ipfwatch"}, {"./ipfwatch"}, {"/a/b", "x\ny"}, {"/a/\xff"}, {"/a/b%c"}}
	for _, cmd := range bad {
		if _, err := DesktopEntry(cmd[0], cmd[1:]); !errors.Is(err, ErrBadCommand) {
			t.Errorf("DesktopEntry(%q): %v, want ErrBadCommand", cmd, err)
		}
	}
	for _, exe := range []string{`ipfwatch.exe`, `C:ipfwatch.exe`, `C:\a"b.exe`, "C:\\a\tb"} {
		if _, err := RunValue(exe, nil); !errors.Is(err, ErrBadCommand) {
			t.Errorf("RunValue(%q): %v, want ErrBadCommand", exe, err)
		}
	}
	if _, err := LaunchAgent("rel/ipfwatch", nil); !errors.Is(err, ErrBadCommand) {
		t.Errorf("LaunchAgent(relative): %v", err)
	}
}
