package settings

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf"
)

// Field keys of the IP Fabric API section: the settings' JSON names, and
// one for the token, which is a secret.
const (
	fIPFURL    = "ipf_url"
	fIPFVerify = "ipf_verify"
	fIPFToken  = "ipf_token"
)

// ipfTestTimeout bounds Test connection: two calls of at most 15 s each.
const ipfTestTimeout = 40 * time.Second

// trustedCertFile is where Trust this certificate saves IP Fabric's
// certificate, in the data folder.
const trustedCertFile = "ipf-cert.pem"

// ipfWidgets are the IP Fabric API section: address, token and how the
// certificate is checked, what is in force now, and Test connection with
// its answer.
type ipfWidgets struct {
	url, token, verify *widget.Entry
	showToken          *widget.Button
	tokenNote          *widget.Label
	status             *widget.Label // in use, or why not
	test, trust        *widget.Button
	result             *widget.Label
	pem                []byte // the certificate Trust would save; UI goroutine only
}

// buildIPF makes the section. UI goroutine.
func (v *View) buildIPF() fyne.CanvasObject {
	w := &v.ipf
	w.url = widget.NewEntry()
	w.url.SetPlaceHolder("https://ipfabric.example.com")
	w.verify = widget.NewEntry()
	w.verify.SetPlaceHolder("true")
	w.token = secretEntry()
	w.showToken = widget.NewButtonWithIcon("Show", theme.VisibilityIcon(), func() { toggleShown(w.token, w.showToken) })
	w.tokenNote = hint("")
	w.status = hint("")
	w.test = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), v.testIPF)
	w.trust = widget.NewButtonWithIcon("Trust this certificate", theme.ConfirmIcon(), v.trustCert)
	w.trust.Hide()
	// What Test connection found reads at the normal size: it is what the
	// engineer asked for.
	w.result = widget.NewLabel("")
	w.result.Wrapping = fyne.TextWrapWord
	w.result.Hide()
	fields := form(
		v.row(fIPFURL, "Address", w.url, "IP Fabric's address; empty leaves the API unused"),
		v.rowWith(fIPFToken, "API token", container.NewBorder(nil, nil, nil, w.showToken, w.token), w.tokenNote),
		v.row(fIPFVerify, "Certificate check", w.verify, "true (the system's CAs), false (no check), or a PEM file of IP Fabric's certificate or CA"),
		[2]fyne.CanvasObject{label(""), container.NewVBox(container.NewHBox(w.test, w.trust), w.result)},
	)
	return container.NewVBox(fields, w.status)
}

// fillIPF puts st's token and the API's state into the section (fill puts
// the address and the certificate check with the other settings). UI
// goroutine.
func (v *View) fillIPF(st state) {
	w := &v.ipf
	w.token.SetText(st.token)
	w.token.Password = true
	w.showToken.SetText("Show")
	w.showToken.SetIcon(theme.VisibilityIcon())
	w.tokenNote.SetText(tokenNote(st.ipfStatus.TokenFrom))
	if st.ipfStatus.TokenFrom == config.FromEnv {
		w.token.Disable()
	} else {
		w.token.Enable()
	}
	w.status.SetText(ipfStatusLine(st.ipfStatus))
	w.trust.Hide()
	w.pem = nil
}

// tokenNote says where the API token comes from.
func tokenNote(src config.Source) string {
	switch src {
	case config.FromEnv:
		return "Set by " + config.EnvIPFToken + "; edit the environment to change it."
	case config.FromNowhere:
		return "Not set: create an API token in IP Fabric (Settings, API tokens), paste it here and Save."
	}
	return sourceNote(src, config.EnvIPFToken, false)
}

// ipfStatusLine says whether IP Fabric's API is in use now, and if not, why.
func ipfStatusLine(st app.IPFStatus) string {
	if !st.Configured {
		return "Not in use: " + strings.TrimSuffix(st.Reason, ".") + "."
	}
	return "In use: " + st.URL + ", certificate check " + st.Verify + ", token " + st.Token + "."
}

// collectIPF reads the section into s, marking what is invalid in fe.
func (v *View) collectIPF(s *config.Settings, fe config.FieldErrors, overridden map[string]bool) {
	w := &v.ipf
	if !overridden[fIPFURL] {
		s.IPFURL = strings.TrimSpace(w.url.Text)
		if s.IPFURL != "" {
			if _, err := ipf.ParseURL(s.IPFURL); err != nil {
				fe[fIPFURL] = err.Error()
			}
		}
	}
	if !overridden[fIPFVerify] {
		s.IPFVerify = strings.TrimSpace(w.verify.Text)
		if mode, path := ipf.ParseVerify(s.IPFVerify); mode == ipf.VerifyPEM {
			if _, err := os.Stat(path); err != nil {
				fe[fIPFVerify] = "no file " + path + ": give true, false, or the path of a PEM file"
			}
		}
	}
	if v.loaded.ipfStatus.TokenFrom != config.FromEnv {
		if msg := checkToken(w.token.Text); msg != "" {
			fe[fIPFToken] = msg
		}
	}
}

// checkToken says what is wrong with an API token, or "". Empty is allowed:
// it removes the token. The message never quotes the token.
func checkToken(s string) string {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r > unicode.MaxASCII {
			return "cannot contain spaces, line breaks or non-ASCII characters: paste the token again"
		}
	}
	return ""
}

// tokenChanged reports whether Save must store the token field.
func (v *View) tokenChanged() bool {
	return v.loaded.ipfStatus.TokenFrom != config.FromEnv && v.ipf.token.Text != v.loaded.token
}

// testIPF is Test connection: the address, certificate check and token as
// typed (saved or not) are tried off the UI goroutine, and the answer
// shown: IP Fabric's release, the API version and the token's user, or
// what is wrong in plain words. UI goroutine.
func (v *View) testIPF() {
	w := &v.ipf
	cfg := ipf.Config{URL: strings.TrimSpace(w.url.Text), Verify: strings.TrimSpace(w.verify.Text), Token: w.token.Text}
	w.trust.Hide()
	w.pem = nil
	if cfg.URL == "" {
		v.setIPFResult("Enter IP Fabric's address above first.", widget.DangerImportance)
		return
	}
	w.test.Disable()
	v.setIPFResult("Testing the connection to IP Fabric…", widget.MediumImportance)
	v.pending.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, ipfTestTimeout)
		defer cancel()
		info, err := v.a.TestIPF(ctx, cfg)
		v.post(func() {
			w.test.Enable()
			v.showIPFTest(info, err)
		})
	})
}

// showIPFTest shows what Test connection found. UI goroutine.
func (v *View) showIPFTest(info ipf.Info, err error) {
	w := &v.ipf
	if err == nil {
		v.setIPFResult("Connected: IP Fabric "+info.Release+", API "+info.APIVersion+", token of user "+info.Username+".",
			widget.SuccessImportance)
		return
	}
	var tlsErr *ipf.TLSError
	if !errors.As(err, &tlsErr) {
		v.setIPFResult(err.Error(), widget.DangerImportance)
		return
	}
	text := "IP Fabric at " + tlsErr.Addr + " presented a certificate this computer does not trust (" + tlsErr.Reason + ").\n" +
		"Subject: " + tlsErr.Subject() + "\nSHA-256 fingerprint: " + tlsErr.Fingerprint()
	if pem := tlsErr.PEM(); pem != nil && !w.verify.Disabled() {
		w.pem = pem
		w.trust.Show()
		text += "\nIf that is your IP Fabric's certificate (compare the fingerprint with its settings), " +
			"Trust this certificate saves it in the data folder and names it as the certificate check; then Save."
	}
	v.setIPFResult(text, widget.DangerImportance)
}

// trustCert saves the certificate of the last Test connection in the data
// folder and puts its path in the certificate check field, for the
// engineer to test again and Save. UI goroutine.
func (v *View) trustCert() {
	w := &v.ipf
	pem := w.pem
	if pem == nil {
		return
	}
	path := filepath.Join(v.loaded.view.DataDir, trustedCertFile)
	w.trust.Disable()
	v.pending.Go(func(context.Context) {
		err := os.WriteFile(path, pem, 0o600)
		v.post(func() {
			w.trust.Enable()
			if err != nil {
				v.setIPFResult("The certificate was not saved: "+err.Error(), widget.DangerImportance)
				return
			}
			w.trust.Hide()
			w.pem = nil
			w.verify.SetText(path)
			v.setIPFResult("Saved IP Fabric's certificate as "+path+": Test connection again, then Save.", widget.MediumImportance)
		})
	})
}

func (v *View) setIPFResult(text string, imp widget.Importance) {
	r := v.ipf.result
	r.Importance = imp
	r.SetText(text)
	r.Show()
	v.relayout()
}
