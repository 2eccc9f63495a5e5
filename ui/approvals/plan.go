package approvals

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/remediation"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

// AddedVariables says what ipfwatch puts into a run's environment besides
// the rule's variables, so the engineer approving it knows everything the
// program receives.
const AddedVariables = "ipfwatch also sets IPF_EVENT_ID, IPF_EVENT_TYPE, IPF_EVENT_ACTION, " +
	"IPF_EVENT_STATUS, IPF_SNAPSHOT_ID, IPF_SNAPSHOT_NAME, IPF_REQUESTER, IPF_EVENT_TIMESTAMP " +
	"and IPF_EVENT_FILE (a private file holding the event's raw JSON) from the event, and passes " +
	"on PATH, HOME and LANG. Nothing else, and never the webhook secret."

// PlanDetails lays out exactly what a plan runs: the program, each argument
// on its own line, the working directory, the variables it adds, the
// timeout and, when p.Expires is set, how long a proposal stays approvable.
// Everything is shown as plain monospace text, escaped where it holds
// characters that would not show (see DisplayArg). The Approvals view shows
// proposals with it, and the Rules view's "Test against event..." the plan a
// rule would produce, so both read the same.
func PlanDetails(p remediation.Plan) fyne.CanvasObject { return planDetails(p, false) }

// CheckPlanDetails is PlanDetails for a plan made for an intent check: the
// environment also names the check's variables (AddedCheckVariables).
func CheckPlanDetails(p remediation.Plan) fyne.CanvasObject { return planDetails(p, true) }

func planDetails(p remediation.Plan, check bool) fyne.CanvasObject {
	mono := func(s string) *widget.Label {
		l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		l.Wrapping = fyne.TextWrapBreak
		l.Selectable = true
		return l
	}
	// Plain text wraps too: the plan shows in a pane beside a list, and
	// must never be what makes the window wider.
	text := func(s string) *widget.Label {
		l := widget.NewLabel(s)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	key := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	}
	items := []fyne.CanvasObject{}
	add := func(k string, v fyne.CanvasObject) { items = append(items, key(k), v) }

	program := "(none)"
	if len(p.Argv) > 0 {
		program = DisplayArg(p.Argv[0])
	}
	add("Program", mono(program))

	args := container.NewVBox()
	if len(p.Argv) <= 1 {
		args.Add(text("(no arguments)"))
	}
	for i, a := range p.Argv[min(1, len(p.Argv)):] {
		n := widget.NewLabelWithStyle(strconv.Itoa(i+1), fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
		args.Add(container.NewBorder(nil, nil, n, nil, mono(DisplayArg(a))))
	}
	add("Arguments", args)
	add("Working directory", mono(DisplayArg(p.Workdir)))

	env := container.NewVBox()
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env.Add(mono(DisplayArg(k) + "=" + DisplayArg(p.Env[k])))
	}
	if len(keys) == 0 {
		env.Add(text("(none from the rule)"))
	}
	// In the normal text colour: what else the program receives matters
	// to the engineer approving it.
	env.Add(text(AddedVariables))
	if check {
		env.Add(text(AddedCheckVariables))
	}
	add("Environment", env)

	add("Timeout", text(config.FormatDuration(p.Timeout)+", then the program and everything it started are stopped"))
	if p.Expires > 0 {
		add("Approvable for", text(config.FormatDuration(p.Expires)+" after it is proposed"))
	}
	return container.New(layout.NewFormLayout(), items...)
}

// DisplayArg shows an argument so that what is on screen is exactly what
// the program gets. An argument made only of printable characters, without
// leading or trailing spaces and not starting with a quote, is shown as it
// is; any other (empty, spaces at an end, control characters such as
// newlines or escape, invisible or bidi-reordering characters) is shown
// quoted in Go syntax, so nothing can hide or disguise a part of it.
func DisplayArg(s string) string {
	if plainArg(s) {
		return s
	}
	return strconv.Quote(s)
}

func plainArg(s string) bool {
	if s == "" || s[0] == '"' || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// maxShownOutput bounds the output a run screen shows: laying out a
// megabyte of text would freeze the window. The end is shown, since that is
// where a failing program says why; `ipfwatch run-output ID` prints all.
const maxShownOutput = 64 << 10

// OutputText turns a run's captured output into plain text for a
// read-only label: invalid UTF-8 becomes U+FFFD, carriage returns become
// line breaks, and other control or invisible characters (terminal colour
// codes, bidi overrides) are written as visible escapes such as \x1b.
// Output longer than maxShownOutput is cut to its end, with a note.
func OutputText(out []byte, runID int64) string {
	var prefix string
	if len(out) > maxShownOutput {
		cut := len(out) - maxShownOutput
		for cut < len(out) && !utf8.RuneStart(out[cut]) {
			cut++
		}
		if nl := strings.IndexByte(string(out[cut:min(len(out), cut+1024)]), '\n'); nl >= 0 {
			cut += nl + 1
		}
		prefix = fmt.Sprintf("… %d earlier bytes not shown (ipfwatch run-output %d prints all of it)\n", cut, runID)
		out = out[cut:]
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(out))
	b.WriteString(prefix)
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRune(out[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\uFFFD')
		case r == '\r':
			if i+1 >= len(out) || out[i+1] != '\n' {
				b.WriteByte('\n')
			}
		case r == '\n' || r == '\t' || r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// timeLeft says how long a proposal can still be approved, as in
// "expires in 23h 10m".
func timeLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return "expired"
	case d < time.Minute:
		return "expires in less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("expires in %dm", d/time.Minute)
	}
	return fmt.Sprintf("expires in %dh %dm", d/time.Hour, d%time.Hour/time.Minute)
}

// elapsed writes a run's duration: "0.4s", "2m 5s", "1h 2m".
func elapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%dh %dm", d/time.Hour, d%time.Hour/time.Minute)
}

// stateLabel is a state as the engineer reads it.
func stateLabel(s string) string {
	switch s {
	case store.StateTimedOut:
		return "timed out"
	case store.StateApproved:
		return "approved, waiting to run"
	}
	return strings.ReplaceAll(viewkit.OneLine(s), "_", " ")
}

// runOutcome is a run's state with its exit code, as in "failed (exit 3)".
func runOutcome(r store.Run) string {
	s := stateLabel(r.State)
	if r.ExitCode != nil {
		s += fmt.Sprintf(" (exit %d)", *r.ExitCode)
	}
	return s
}

// planOf is the plan a proposal froze, for PlanDetails.
func planOf(p store.Proposal) remediation.Plan {
	return remediation.Plan{Rule: p.Rule, Argv: p.Argv, Env: p.Env, Workdir: p.Workdir, Timeout: p.Timeout}
}

const timeLayout = "2006-01-02 15:04:05"
