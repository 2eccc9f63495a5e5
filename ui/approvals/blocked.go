package approvals

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// maxBlockedShown bounds the lines of the note on rules waiting on IP
// Fabric's API; the log has every one.
const maxBlockedShown = 3

// blockedNote says which rules on intent checks made no proposal because
// IP Fabric's API could not give an event's checks, newest first: nothing
// else would show that a rule did not fire. "" when none did.
func blockedNote(bs []remediation.Blocked) string {
	var lines []string
	for i, b := range bs {
		if i == maxBlockedShown {
			lines = append(lines, "and "+strconv.Itoa(len(bs)-i)+" more (the log has them all)")
			break
		}
		lines = append(lines, "Rule "+viewkit.OneLine(b.Rule)+" made no proposal for event "+strconv.FormatInt(b.EventID, 10)+
			": IP Fabric's intent checks could not be read ("+viewkit.OneLine(strings.TrimSuffix(b.Reason, "."))+").")
	}
	return strings.Join(lines, "\n")
}

// newBlockedLabel is the note's label, hidden while there is nothing to say.
func newBlockedLabel() *widget.Label {
	l := viewkit.Wrapped("")
	l.Importance = widget.WarningImportance
	l.Hide()
	return l
}

// showBlocked puts the note for bs on screen. UI goroutine.
func (v *View) showBlocked(bs []remediation.Blocked) {
	note := blockedNote(bs)
	v.blocked.SetText(note)
	setVisible(v.blocked, note != "")
}
