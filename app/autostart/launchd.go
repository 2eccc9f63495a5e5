package autostart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// LaunchAgent is the launchd property list that starts exe, an absolute
// path, with args when the user logs in (RunAtLoad), in the graphical
// session only (Aqua) and not again if it quits (no KeepAlive): Quit in the
// tray menu must stay quit.
func LaunchAgent(exe string, args []string) (string, error) {
	if err := checkCommand(exe, args, func(p string) bool { return strings.HasPrefix(p, "/") }); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Label + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, s := range append([]string{exe}, args...) {
		b.WriteString("\t\t<string>" + xmlText(s) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String(), nil
}

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) // cannot fail on a bytes.Buffer
	return b.String()
}

// parseLaunchAgent reads what Status needs from a property list: whether
// it runs at load (and is not Disabled) and what it runs. It understands
// the flat dict LaunchAgent writes and hand edits of it.
func parseLaunchAgent(content string) (enabled bool, command []string, err error) {
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(content), &doc); err != nil {
		return false, nil, fmt.Errorf("autostart: launch agent: %w", err)
	}
	var key string
	runAtLoad, disabled := false, false
	for _, it := range doc.Dict.Items {
		switch it.XMLName.Local {
		case "key":
			key = strings.TrimSpace(it.Text)
			continue
		case "array":
			if key == "ProgramArguments" {
				command = it.Strings
			}
		case "true", "false":
			v := it.XMLName.Local == "true"
			switch key {
			case "RunAtLoad":
				runAtLoad = v
			case "Disabled":
				disabled = v
			}
		}
		key = ""
	}
	return runAtLoad && !disabled && len(command) > 0, command, nil
}
