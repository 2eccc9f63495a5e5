package approvals

import (
	"github.com/ipfwatch/ipfwatch/app/config"
	"strings"
	"testing"
	"time"
)

func TestDisplayArg(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"--snapshot", "--snapshot"},
		{"/home/me/fix ntp.sh", "/home/me/fix ntp.sh"},
		{"$(touch pwned); `id`", "$(touch pwned); `id`"},
		{"grüße", "grüße"},
		{"", `""`},
		{" lead", `" lead"`},
		{"trail ", `"trail "`},
		{`"quoted"`, `"\"quoted\""`},
		{"a\nb", `"a\nb"`},
		{"tab\there", `"tab\there"`},
		{"esc\x1b[31m", `"esc\x1b[31m"`},
		{"evil\u202etxt.sh", `"evil\u202etxt.sh"`},
		{"nb\u00a0space", `"nb\u00a0space"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
	}
	for _, tt := range tests {
		if got := DisplayArg(tt.in); got != tt.want {
			t.Errorf("DisplayArg(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestOutputText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "ok\n\tindented\n", "ok\n\tindented\n"},
		{"crlf", "a\r\nb\r\n", "a\nb\n"},
		{"progress", "10%\r20%\n", "10%\n20%\n"},
		{"colour", "\x1b[1mbold\x1b[0m", `\x1b[1mbold\x1b[0m`},
		{"bidi", "a\u202eb", `a\u202eb`},
		{"invalid", "a\xffb", "a\uFFFDb"},
		{"nul", "a\x00b", `a\x00b`},
	}
	for _, tt := range tests {
		if got := OutputText([]byte(tt.in), 1); got != tt.want {
			t.Errorf("%s: OutputText(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}

	long := strings.Repeat("early line\n", 10000) + "the last line\n"
	got := OutputText([]byte(long), 7)
	if !strings.HasPrefix(got, "… ") || !strings.Contains(got, "ipfwatch run-output 7 prints all of it") {
		t.Errorf("long output not marked as cut: %q", got[:100])
	}
	if !strings.HasSuffix(got, "early line\nthe last line\n") || len(got) > maxShownOutput+200 {
		t.Errorf("long output: %d bytes ending %q, want the last %d bytes", len(got), got[len(got)-30:], maxShownOutput)
	}
	if !strings.Contains(got, "prints all of it)\nearly line\n") {
		t.Errorf("the cut is not at a line start: %q", got[:120])
	}
}

func TestTimeLeftAndElapsed(t *testing.T) {
	left := []struct {
		d    time.Duration
		want string
	}{
		{23*time.Hour + 10*time.Minute + 30*time.Second, "expires in 23h 10m"},
		{48 * time.Hour, "expires in 48h 0m"},
		{59 * time.Minute, "expires in 59m"},
		{30 * time.Second, "expires in less than a minute"},
		{0, "expired"},
		{-time.Hour, "expired"},
	}
	for _, tt := range left {
		if got := timeLeft(tt.d); got != tt.want {
			t.Errorf("timeLeft(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	el := []struct {
		d    time.Duration
		want string
	}{
		{400 * time.Millisecond, "0.4s"},
		{12 * time.Second, "12.0s"},
		{125 * time.Second, "2m 5s"},
		{62 * time.Minute, "1h 2m"},
	}
	for _, tt := range el {
		if got := elapsed(tt.d); got != tt.want {
			t.Errorf("elapsed(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", 24 * time.Hour: "24h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s"} {
		if got := config.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
