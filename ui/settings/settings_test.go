package settings

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

func TestSaveRejectsInvalidInputAndSavesNothing(t *testing.T) {
	tests := []struct {
		name string
		edit func(v *View)
		want map[string]string // field -> part of its inline error
	}{
		{"listen is not an address", func(v *View) { v.listen.SetText("nonsense") },
			map[string]string{fListen: "host:port"}},
		{"port out of range", func(v *View) { v.listen.SetText("127.0.0.1:70000") },
			map[string]string{fListen: "port must be"}},
		{"path without slash", func(v *View) { v.path.SetText("ipfabric") },
			map[string]string{fPath: "must start with /"}},
		{"max age not a duration", func(v *View) { v.maxAge.SetText("soon") },
			map[string]string{fMaxAge: "a duration"}},
		{"negative max age", func(v *View) { v.maxAge.SetText("-1h") },
			map[string]string{fMaxAge: "positive"}},
		{"negative retention", func(v *View) { v.retainEvents.SetText("-3") },
			map[string]string{fRetainEvents: "positive"}},
		{"retention not a number", func(v *View) { v.retainRejections.SetText("ninety") },
			map[string]string{fRetainRejections: "number of days"}},
		{"max rejections not a number", func(v *View) { v.maxRejections.SetText("lots") },
			map[string]string{fMaxRejections: "whole number"}},
		{"until not a time", func(v *View) { v.until.SetText("tomorrow") },
			map[string]string{fPreviousUntil: "date and time"}},
		{"certificate without key", func(v *View) { v.tlsCert.SetText("/etc/ipfwatch/cert.pem") },
			map[string]string{fTLSKey: "both"}},
		{"secret emptied", func(v *View) { v.secret.SetText("") },
			map[string]string{fSecret: "cannot be empty"}},
		{"secret with a trailing space", func(v *View) { v.secret.SetText("new-secret ") },
			map[string]string{fSecret: "space"}},
		{"previous secret with a line break", func(v *View) { v.previous.SetText("a\nb") },
			map[string]string{fPrevious: "line breaks"}},
		{"IP Fabric address not https", func(v *View) { v.ipf.url.SetText("ftp://ipf.example.com") },
			map[string]string{fIPFURL: "must start with https://"}},
		{"IP Fabric address with a password", func(v *View) { v.ipf.url.SetText("https://me:pw@ipf.example.com") },
			map[string]string{fIPFURL: "must not contain a user name or password"}},
		{"certificate file missing", func(v *View) { v.ipf.verify.SetText("/no/such/ipf.pem") },
			map[string]string{fIPFVerify: "no file /no/such/ipf.pem"}},
		{"token with a space", func(v *View) { v.ipf.token.SetText("abc def") },
			map[string]string{fIPFToken: "cannot contain spaces"}},
		{"one good and two bad fields", func(v *View) {
			v.retainEvents.SetText("7")
			v.listen.SetText(":")
			v.path.SetText("/has space")
		}, map[string]string{fListen: "port", fPath: "no spaces"}},
	}
	a := openApp(t, app.Options{}, "s3cret")
	settingsFile := config.SettingsFile(a.DataDir())
	secretFile := filepath.Join(a.DataDir(), "secret.current")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, q, _ := newView(t, a)
			beforeSettings, beforeSecret := readFile(t, settingsFile), readFile(t, secretFile)
			beforeView, beforeAddr := a.Settings(), a.Addr()

			tt.edit(v)
			test.Tap(v.save)
			q.Drain()

			for field, e := range v.errs {
				want, bad := tt.want[field]
				switch {
				case bad && (!e.Visible() || !strings.Contains(e.Text, want)):
					t.Errorf("%s: inline error %q (visible %t), want one containing %q", field, e.Text, e.Visible(), want)
				case !bad && e.Visible():
					t.Errorf("%s: unexpected inline error %q", field, e.Text)
				}
			}
			if !strings.HasPrefix(v.result.Text, "Not saved") {
				t.Errorf("result line = %q, want Not saved…", v.result.Text)
			}
			if got := readFile(t, settingsFile); got != beforeSettings {
				t.Errorf("settings.json changed:\n%s\nwas\n%s", got, beforeSettings)
			}
			if got := readFile(t, secretFile); got != beforeSecret {
				t.Error("the secret file changed")
			}
			if got := a.Settings(); !reflect.DeepEqual(got, beforeView) {
				t.Errorf("settings in force changed: %+v", got.Effective)
			}
			if got := a.Addr(); got != beforeAddr {
				t.Errorf("listener moved from %s to %s", beforeAddr, got)
			}
		})
	}
}

func TestSaveAppliesWithoutRestart(t *testing.T) {
	a := openApp(t, app.Options{}, "s3cret")
	v, q, _ := newView(t, a)
	port := freePort(t)
	want := "127.0.0.1:" + port

	v.listen.SetText(want)
	v.path.SetText("/hooks/ipf")
	v.maxAge.SetText("30m")
	v.retainEvents.SetText("7")
	v.retainRejections.SetText("0.5")
	v.maxRejections.SetText("500")
	test.Tap(v.notify["test-webhook"])
	saveAndWait(t, v, q)

	if !strings.HasPrefix(v.result.Text, "Saved.") {
		t.Fatalf("result line = %q", v.result.Text)
	}
	if got := a.Addr(); got != want {
		t.Errorf("listener on %s, want %s", got, want)
	}
	saved, err := config.LoadSettings(config.SettingsFile(a.DataDir()))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Listen != want || saved.Path != "/hooks/ipf" || time.Duration(saved.MaxAge) != 30*time.Minute ||
		time.Duration(saved.RetainEvents) != 7*24*time.Hour || time.Duration(saved.RetainRejections) != 12*time.Hour ||
		saved.MaxRejections != 500 || saved.NotifyEnabled("test-webhook") || !saved.NotifyEnabled("snapshot-failed") {
		t.Errorf("settings.json holds %+v", saved)
	}
	// The new path is live: a signed delivery there is accepted.
	ans, err := send.Signed(context.Background(), a.URL(), "s3cret", send.Body(send.Payload{}))
	if err != nil || ans.Status != 200 {
		t.Errorf("delivery to %s: %+v, %v", a.URL(), ans, err)
	}
	// What the view shows after saving is what was saved, as typed.
	for e, text := range map[*string]string{&v.maxAge.Text: "30m", &v.retainRejections.Text: "0.5", &v.listen.Text: want} {
		if *e != text {
			t.Errorf("field shows %q after saving, want %q", *e, text)
		}
	}
}

func TestSaveReportsAPortInUse(t *testing.T) {
	a := openApp(t, app.Options{}, "s3cret")
	v, q, _ := newView(t, a)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	before := a.Addr()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	v.listen.SetText(busy.Addr().String())
	saveAndWait(t, v, q)
	if want := "port " + port + " in use"; !strings.Contains(v.errs[fListen].Text, want) || !v.errs[fListen].Visible() {
		t.Errorf("listen error = %q, want it to say %q", v.errs[fListen].Text, want)
	}
	if !strings.HasPrefix(v.result.Text, "Saved, but") {
		t.Errorf("result line = %q", v.result.Text)
	}
	if a.Addr() != before {
		t.Errorf("the listener moved from %s to %s", before, a.Addr())
	}
}

func TestOverriddenFieldsAreShownAndKept(t *testing.T) {
	listen, maxAge := "127.0.0.1:0", 5*time.Minute
	a := openApp(t, app.Options{Overrides: config.Overrides{Listen: &listen, MaxAge: &maxAge}}, "s3cret")
	v, q, _ := newView(t, a)
	tests := []struct {
		key   string
		entry *widget.Entry
		text  string
		hint  string
	}{
		{fListen, v.listen, "127.0.0.1:0", "--listen or IPFWATCH_LISTEN"},
		{fMaxAge, v.maxAge, "5m", "--max-age or IPFWATCH_MAX_AGE"},
	}
	for _, tt := range tests {
		if !tt.entry.Disabled() || tt.entry.Text != tt.text || !strings.Contains(v.hints[tt.key].Text, tt.hint) {
			t.Errorf("%s: disabled %t, shows %q, hint %q; want disabled, %q, a hint naming %s",
				tt.key, tt.entry.Disabled(), tt.entry.Text, v.hints[tt.key].Text, tt.text, tt.hint)
		}
	}
	if v.path.Disabled() {
		t.Error("path is disabled though nothing overrides it")
	}
	v.path.SetText("/hook")
	saveAndWait(t, v, q)
	saved, err := config.LoadSettings(config.SettingsFile(a.DataDir()))
	if err != nil {
		t.Fatal(err)
	}
	// The overrides are not written over the saved values.
	if saved.Path != "/hook" || saved.Listen != "127.0.0.1:0" || time.Duration(saved.MaxAge) != time.Hour {
		t.Errorf("saved %+v; want path /hook and the saved listen and max age kept", saved)
	}
}

func TestSecretFromEnvironmentIsReadOnly(t *testing.T) {
	t.Setenv(config.EnvSecret, "from-the-environment")
	a := openApp(t, app.Options{}, "")
	v, q, _ := newView(t, a)
	if !v.secret.Disabled() || !v.generate.Disabled() {
		t.Error("the secret can be edited though the environment sets it")
	}
	if want := "Set by IPF_WEBHOOK_SECRET; edit the environment to change it."; v.secretNote.Text != want {
		t.Errorf("note = %q, want %q", v.secretNote.Text, want)
	}
	v.retainEvents.SetText("10")
	saveAndWait(t, v, q)
	if !strings.HasPrefix(v.result.Text, "Saved.") {
		t.Fatalf("result line = %q", v.result.Text)
	}
	if got := readFile(t, filepath.Join(a.DataDir(), "secret.current")); got != "<absent>" {
		t.Error("the environment's secret was written to disk")
	}
}

func TestSecretIsMaskedUntilShown(t *testing.T) {
	const secret = "s3cret-value-7781"
	a := openApp(t, app.Options{}, secret)
	v, _, w := newView(t, a)
	shown := func() bool { return strings.Contains(test.RenderToMarkup(w.Canvas()), secret) }
	if shown() {
		t.Fatal("the secret is on screen before Show")
	}
	test.Tap(v.showSecret)
	if !shown() || v.showSecret.Text != "Hide" {
		t.Fatalf("Show did not reveal the secret (button %q)", v.showSecret.Text)
	}
	test.Tap(v.showSecret)
	if shown() {
		t.Fatal("Hide left the secret on screen")
	}
	test.Tap(v.copySecret)
	if got := fyne.CurrentApp().Clipboard().Content(); got != secret {
		t.Errorf("clipboard holds %q after Copy", got)
	}
}

func TestGenerateRotatesTheSecret(t *testing.T) {
	const old = "old-secret-4412"
	a := openApp(t, app.Options{}, old)
	v, q, _ := newView(t, a)
	// The field keeps minutes, so a whole minute makes the round trip exact.
	now := time.Now().Truncate(time.Minute)
	v.now = func() time.Time { return now }
	wantUntil := now.Add(24 * time.Hour).Format(untilLayout)

	test.Tap(v.generate)
	fresh := v.secret.Text
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(fresh) {
		t.Fatalf("generated secret %q is not 32 random bytes in hex", fresh)
	}
	if v.previous.Text != old || v.until.Text != wantUntil {
		t.Errorf("previous = %q, until = %q; want the old secret until %s", v.previous.Text, v.until.Text, wantUntil)
	}
	if strings.Contains(v.secretNote.Text, fresh) {
		t.Error("the note shows the secret")
	}
	saveAndWait(t, v, q)
	if !strings.HasPrefix(v.result.Text, "Saved.") {
		t.Fatalf("result line = %q", v.result.Text)
	}
	if got, _ := a.Secret(config.Current); got != fresh {
		t.Error("the current secret is not the generated one")
	}
	if got, _ := a.Secret(config.Previous); got != old {
		t.Error("the previous secret is not the old one")
	}
	if got := a.Settings().Saved.PreviousSecretUntil; !got.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("previous secret accepted until %v", got)
	}
	// Both secrets are live: IP Fabric, still on the old one, keeps getting
	// through until it has the new one.
	for name, secret := range map[string]string{"new": fresh, "old": old} {
		ans, err := send.Signed(context.Background(), a.URL(), secret, send.Body(send.Payload{}))
		if err != nil || ans.Status != 200 {
			t.Errorf("delivery signed with the %s secret: %+v, %v", name, ans, err)
		}
	}
}

func TestOpenFolderOpensTheDataDirectory(t *testing.T) {
	a := openApp(t, app.Options{}, "s3cret")
	v, _, _ := newView(t, a)
	rec := &uitest.URLOpener{App: fyne.CurrentApp()}
	fyne.SetCurrentApp(rec)
	test.Tap(v.openFolder)
	if want := storage.NewFileURI(a.DataDir()).String(); len(rec.Opened) != 1 || rec.Opened[0] != want {
		t.Errorf("opened %q, want [%s]", rec.Opened, want)
	}
	if v.dataDir.Text != a.DataDir() {
		t.Errorf("data folder shown as %q", v.dataDir.Text)
	}
}

func TestChangedFollowsTheListener(t *testing.T) {
	a := openApp(t, app.Options{}, "s3cret")
	v, q, _ := newView(t, a)
	port := freePort(t)
	if err := a.ApplySettings(func() config.Settings {
		s := a.Settings().Saved
		s.Listen = "127.0.0.1:" + port
		return s
	}()); err != nil {
		t.Fatal(err)
	}
	v.Changed(app.Change{Kind: app.StateChanged})
	q.Drain()
	if want := fmt.Sprintf("The listener is bound to 127.0.0.1:%s.", port); v.addr.Text != want {
		t.Errorf("addr line = %q, want %q", v.addr.Text, want)
	}
	if v.listen.Text == "127.0.0.1:"+port {
		t.Error("Changed overwrote the address field")
	}
}

func TestSettingsMarkup(t *testing.T) {
	// A relative data directory reads the same on every run and machine,
	// and text widths in the markup depend on it.
	t.Chdir(t.TempDir())
	// A fixed place for the autostart entry, which is never written here.
	t.Setenv("XDG_CONFIG_HOME", "/nonexistent/ipfwatch-settings-markup")
	a := openApp(t, app.Options{DataDir: "data"}, "s3cret")
	v, _, w := newView(t, a)
	norm := []string{a.Addr(), "127.0.0.1:PORT"}
	assertMarkup(t, "settings.xml", w.Canvas(), norm...)

	v.listen.SetText("nonsense")
	v.retainEvents.SetText("-1")
	test.Tap(v.save)
	assertMarkup(t, "settings-invalid.xml", w.Canvas(), norm...)
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", time.Hour: "1h", 90 * time.Minute: "1h30m", 30 * time.Minute: "30m",
		90 * time.Second: "1m30s", 10 * time.Minute: "10m", 36 * time.Hour: "36h",
	} {
		if got := config.FormatDuration(d); got != want {
			t.Errorf("config.FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := parseDuration(want); err != nil || back != d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", want, back, err, d)
		}
	}
}

func TestRevertDropsEdits(t *testing.T) {
	a := openApp(t, app.Options{}, "s3cret")
	v, q, _ := newView(t, a)
	v.path.SetText("bad path")
	v.secret.SetText("typed-but-not-saved")
	test.Tap(v.save)
	if !v.errs[fPath].Visible() {
		t.Fatal("no error for the bad path")
	}
	test.Tap(v.revert)
	q.WaitFor(t, "the saved values back", func() bool { return v.path.Text == "/ipfabric" && v.secret.Text == "s3cret" })
	if v.errs[fPath].Visible() {
		t.Error("the path error survived Revert")
	}
}
