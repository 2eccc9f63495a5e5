package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

// testAndWait taps Test connection and waits for its answer.
func testAndWait(t *testing.T, v *View, q interface {
	WaitFor(testing.TB, string, func() bool)
}) {
	t.Helper()
	test.Tap(v.ipf.test)
	q.WaitFor(t, "Test connection to answer", func() bool { return !v.ipf.test.Disabled() })
}

func TestIPFConnectTrustAndSave(t *testing.T) {
	f := ipffake.Start(t, ipffake.Options{})
	a := openApp(t, app.Options{}, "s3cret")
	v, q, w := newView(t, a)
	if got := v.ipf.status.Text; !strings.HasPrefix(got, "Not in use: no IP Fabric URL") {
		t.Errorf("status = %q, want why the API is not in use", got)
	}
	if want := "Not set: create an API token in IP Fabric (Settings, API tokens), paste it here and Save."; v.ipf.tokenNote.Text != want {
		t.Errorf("token note = %q", v.ipf.tokenNote.Text)
	}

	v.ipf.url.SetText(f.URL)
	v.ipf.token.SetText(f.Token)
	v.ipf.verify.SetText("true")
	if strings.Contains(test.RenderToMarkup(w.Canvas()), f.Token) {
		t.Fatal("the token is on screen before Show")
	}
	// The fake's certificate is its own: not trusted by the system's CAs.
	testAndWait(t, v, q)
	res := v.ipf.result.Text
	for _, want := range []string{"presented a certificate this computer does not trust", "Subject: ",
		"SHA-256 fingerprint: " + ipf.Fingerprint(f.Cert), "Trust this certificate saves it"} {
		if !strings.Contains(res, want) {
			t.Errorf("result lacks %q:\n%s", want, res)
		}
	}
	if !v.ipf.trust.Visible() {
		t.Fatal("no Trust this certificate button")
	}
	test.Tap(v.ipf.trust)
	pem := filepath.Join(a.DataDir(), trustedCertFile)
	q.WaitFor(t, "the certificate saved", func() bool { return v.ipf.verify.Text == pem })
	if got := readFile(t, pem); got != string(f.CertPEM) {
		t.Errorf("saved certificate = %q, want the server's", got)
	}
	testAndWait(t, v, q)
	if want := "Connected: IP Fabric 7.0.15+2, API v7.0, token of user admin."; v.ipf.result.Text != want {
		t.Errorf("result = %q, want %q", v.ipf.result.Text, want)
	}
	if strings.Contains(a.IPFConfig().URL, "127.0.0.1") {
		t.Error("Test connection saved the address")
	}

	saveAndWait(t, v, q)
	if !strings.HasPrefix(v.result.Text, "Saved.") {
		t.Fatalf("result line = %q", v.result.Text)
	}
	if cfg := a.IPFConfig(); cfg.URL != f.URL || cfg.Verify != pem || cfg.Token != f.Token {
		t.Errorf("config in force = %v (token set %t), want the fake's", cfg, cfg.Token == f.Token)
	}
	if st := a.IPFStatus(); !st.Configured || v.ipf.status.Text != "In use: "+f.URL+", certificate check "+pem+", token "+ipf.Mask(f.Token)+"." {
		t.Errorf("API configured %t (%s); status line %q", st.Configured, st.Reason, v.ipf.status.Text)
	}
	if !strings.Contains(v.ipf.tokenNote.Text, "file in the data folder") {
		t.Errorf("token note = %q", v.ipf.tokenNote.Text)
	}
	// The token is a secret: in its own private file, not in settings.json.
	if s := readFile(t, config.SettingsFile(a.DataDir())); strings.Contains(s, f.Token) || !strings.Contains(s, f.URL) {
		t.Errorf("settings.json:\n%s", s)
	}
	if got := strings.TrimSpace(readFile(t, config.SecretFile(a.DataDir(), config.IPFToken))); got != f.Token {
		t.Error("the token file does not hold the token")
	}
	if strings.Contains(test.RenderToMarkup(w.Canvas()), f.Token) {
		t.Error("the token is on screen after Save")
	}
	test.Tap(v.ipf.showToken)
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), f.Token) {
		t.Error("Show does not reveal the token")
	}
}

func TestIPFTestConnectionSaysWhatIsWrong(t *testing.T) {
	f := ipffake.Start(t, ipffake.Options{})
	pem, err := f.WriteCertPEM(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := openApp(t, app.Options{}, "s3cret")
	v, q, _ := newView(t, a)
	tests := []struct {
		name, url, token, verify string
		want                     string
	}{
		{"no address", "", f.Token, pem, "enter ip fabric's address above first"},
		{"nobody listening", ipffake.ClosedURL(t), f.Token, "false", "cannot reach ip fabric"},
		{"wrong token", f.URL, "not-the-token-0000", pem, "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.ipf.url.SetText(tt.url)
			v.ipf.token.SetText(tt.token)
			v.ipf.verify.SetText(tt.verify)
			testAndWait(t, v, q)
			if r := v.ipf.result; !strings.Contains(strings.ToLower(r.Text), tt.want) || r.Importance == 0 {
				t.Errorf("result = %q, want it to mention %q", r.Text, tt.want)
			}
			if strings.Contains(v.ipf.result.Text, tt.token) {
				t.Error("the result quotes the token")
			}
			if v.ipf.trust.Visible() {
				t.Error("Trust offered for an error that is not about the certificate")
			}
		})
	}

	// The test runs off the UI goroutine: while IP Fabric is slow to
	// answer, the button waits and the view stays usable.
	hold := make(chan struct{})
	f.SetFault(ipffake.RouteVersion, ipffake.Fault{Hold: hold})
	v.ipf.url.SetText(f.URL)
	v.ipf.token.SetText(f.Token)
	test.Tap(v.ipf.test)
	if !v.ipf.test.Disabled() || v.ipf.result.Text != "Testing the connection to IP Fabric…" {
		t.Errorf("while testing: button disabled %t, result %q", v.ipf.test.Disabled(), v.ipf.result.Text)
	}
	v.path.SetText("/still-typing")
	close(hold)
	q.WaitFor(t, "the held answer", func() bool { return !v.ipf.test.Disabled() })
	if !strings.HasPrefix(v.ipf.result.Text, "Connected:") {
		t.Errorf("result = %q", v.ipf.result.Text)
	}
}

func TestIPFFixedByTheEnvironment(t *testing.T) {
	t.Setenv(config.EnvIPFToken, "token-from-the-environment-1234")
	url, verify := "https://ipf.example.com", "false"
	a := openApp(t, app.Options{Overrides: config.Overrides{IPFURL: &url, IPFVerify: &verify}}, "s3cret")
	v, q, w := newView(t, a)
	for _, tt := range []struct {
		key, text, hint string
		disabled        bool
	}{
		{fIPFURL, v.ipf.url.Text, "--ipf-url, IPFWATCH_IPF_URL or IPF_URL", v.ipf.url.Disabled()},
		{fIPFVerify, v.ipf.verify.Text, "--ipf-verify, IPFWATCH_IPF_VERIFY or IPF_VERIFY", v.ipf.verify.Disabled()},
	} {
		if !tt.disabled || !strings.Contains(v.hints[tt.key].Text, tt.hint) {
			t.Errorf("%s: disabled %t, hint %q; want it fixed, naming %s", tt.key, tt.disabled, v.hints[tt.key].Text, tt.hint)
		}
	}
	if v.ipf.url.Text != url || v.ipf.verify.Text != verify {
		t.Errorf("shown %q, %q; want what is in force", v.ipf.url.Text, v.ipf.verify.Text)
	}
	if !v.ipf.token.Disabled() || v.ipf.tokenNote.Text != "Set by IPF_TOKEN; edit the environment to change it." {
		t.Errorf("token disabled %t, note %q", v.ipf.token.Disabled(), v.ipf.tokenNote.Text)
	}
	if strings.Contains(test.RenderToMarkup(w.Canvas()), "token-from-the-environment") {
		t.Error("the environment's token is on screen")
	}
	v.retainEvents.SetText("10")
	saveAndWait(t, v, q)
	if !strings.HasPrefix(v.result.Text, "Saved.") {
		t.Fatalf("result line = %q", v.result.Text)
	}
	if got := readFile(t, config.SecretFile(a.DataDir(), config.IPFToken)); got != "<absent>" {
		t.Error("the environment's token was written to disk")
	}
	if saved := a.Settings().Saved; saved.IPFURL != "" || saved.IPFVerify != "" {
		t.Errorf("the overrides were saved: %q, %q", saved.IPFURL, saved.IPFVerify)
	}
}

func TestStartAtLogin(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	entry := filepath.Join(xdg, "autostart", "ipfwatch.desktop")
	a := openApp(t, app.Options{}, "s3cret")
	v, q, _ := newView(t, a)
	c := v.login.check
	if c.Checked || v.login.note.Text != "Does not start at login (it would be registered in "+entry+")." {
		t.Fatalf("checked %t, note %q", c.Checked, v.login.note.Text)
	}
	test.Tap(c)
	q.WaitFor(t, "autostart on", func() bool { return !c.Disabled() })
	body := readFile(t, entry)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Checked || !strings.Contains(body, "Exec=") || !strings.Contains(body, filepath.Base(exe)) ||
		!strings.Contains(body, "--data-dir "+a.DataDir()) {
		t.Errorf("checked %t; entry:\n%s\nwant this program with --data-dir %s", c.Checked, body, a.DataDir())
	}
	if v.login.note.Text != "Starts at login from "+entry+"." {
		t.Errorf("note = %q", v.login.note.Text)
	}
	test.Tap(c)
	q.WaitFor(t, "autostart off", func() bool { return !c.Disabled() })
	if got := readFile(t, entry); got != "<absent>" || c.Checked {
		t.Errorf("after turning it off: checked %t, entry %q", c.Checked, got)
	}
	// Revert and Save leave it alone: it is not a setting.
	test.Tap(c)
	q.WaitFor(t, "autostart on again", func() bool { return !c.Disabled() })
	test.Tap(v.revert)
	q.Drain()
	saveAndWait(t, v, q)
	if readFile(t, entry) == "<absent>" || !c.Checked {
		t.Error("Revert or Save turned autostart off")
	}
}

func TestAutostartArgs(t *testing.T) {
	if got := autostartArgs(config.DefaultDataDir()); got != nil {
		t.Errorf("default data folder: %q, want no arguments", got)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got := autostartArgs("data"); len(got) != 2 || got[0] != "--data-dir" || got[1] != filepath.Join(wd, "data") {
		t.Errorf("relative data folder: %q, want --data-dir and its absolute path", got)
	}
}
