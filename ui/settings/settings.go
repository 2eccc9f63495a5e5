// Package settings is the Settings tab: listener address and path, the
// webhook secrets, IP Fabric's API (address, token, certificate check, Test
// connection), event age, notification kinds, retention, start at login
// and the data folder. Saving applies at once (the listener rebinds) through
// app.ApplySettings; invalid input is marked on its field and nothing is
// saved.
//
// The secret and the API token are never logged. Each sits masked in its
// entry and is shown (or the secret copied) only when the engineer asks.
package settings

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/autostart"
	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/ui/internal/async"
)

// Field keys: the settings' JSON names (as in config.FieldErrors and
// app.SettingsView.Overridden), plus two for the secrets, which are not
// settings.
const (
	fListen           = "listen"
	fPath             = "path"
	fMaxAge           = "max_age"
	fTLSCert          = "tls_cert"
	fTLSKey           = "tls_key"
	fSecret           = "secret"
	fPrevious         = "previous_secret"
	fPreviousUntil    = "previous_secret_until"
	fRetainEvents     = "retain_events"
	fRetainRejections = "retain_rejections"
	fMaxRejections    = "max_rejections"
)

// secretField is the field of each secret, for its errors.
var secretField = map[config.Which]string{config.Current: fSecret, config.Previous: fPrevious, config.IPFToken: fIPFToken}

// untilLayout is how "accept previous secret until" is typed, local time.
const untilLayout = "2006-01-02 15:04"

// rotationWindow is how long Generate keeps the replaced secret accepted,
// time for the engineer to paste the new one into IP Fabric.
const rotationWindow = 24 * time.Hour

// View is the Settings tab.
type View struct {
	a   *app.App
	win fyne.Window
	// do runs f on the UI goroutine: fyne.Do, or a test's queue.
	do  func(f func())
	now func() time.Time
	// pending owns the view's goroutines (saving, reading the keyring).
	pending async.Tracker

	listen, path, maxAge, tlsCert, tlsKey *widget.Entry
	secret, previous, until               *widget.Entry
	showSecret, showPrevious              *widget.Button
	generate, copySecret                  *widget.Button
	secretNote, previousNote              *widget.Label
	notify                                map[string]*widget.Check
	retainEvents, retainRejections        *widget.Entry
	maxRejections                         *widget.Entry
	dataDir, dbPath                       *widget.Label
	openFolder                            *widget.Button
	addr                                  *widget.Label
	ipf                                   ipfWidgets
	login                                 loginWidgets
	save, revert                          *widget.Button
	result                                *widget.Label
	hints                                 map[string]*widget.Label
	errs                                  map[string]*widget.Label
	order                                 []string // field keys, top to bottom
	scroll                                *container.Scroll
	content                               fyne.CanvasObject

	loaded state // what the fields were last filled from
}

// state is what the view shows, read off the UI goroutine when it can be
// (the keyring may be slow to answer).
type state struct {
	view             app.SettingsView
	secret, previous string
	addr             string
	token            string // IP Fabric's API token
	ipfStatus        app.IPFStatus
	login            autostart.Status
	loginErr         error
}

// New builds the Settings tab for a, filled from its current settings.
func New(a *app.App, win fyne.Window) *View {
	v := &View{a: a, win: win, do: fyne.Do, now: time.Now,
		notify: map[string]*widget.Check{}, hints: map[string]*widget.Label{}, errs: map[string]*widget.Label{}}
	v.build()
	v.fill(v.read())
	return v
}

// Content is the tab's content.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop ends the view's goroutines: the shell calls it before the window
// goes for good.
func (v *View) Stop() { v.pending.Stop() }

// post runs fn on the UI goroutine, unless the view has stopped.
func (v *View) post(fn func()) { v.pending.Post(v.do, fn) }

// Changed keeps the "listening on" line and whether IP Fabric's API is in
// use current. The fields are left alone so a change elsewhere never
// overwrites what the engineer is typing.
func (v *View) Changed(c app.Change) {
	if c.Kind != app.StateChanged {
		return
	}
	line, ipfLine := listeningLine(v.a.Addr()), ipfStatusLine(v.a.IPFStatus())
	v.post(func() {
		v.addr.SetText(line)
		v.ipf.status.SetText(ipfLine)
	})
}

func listeningLine(addr string) string {
	if addr == "" {
		return "The listener is not running."
	}
	return "The listener is bound to " + addr + "."
}

func (v *View) read() state {
	s := state{view: v.a.Settings(), addr: v.a.Addr()}
	s.secret, _ = v.a.Secret(config.Current)
	s.previous, _ = v.a.Secret(config.Previous)
	s.token, _ = v.a.Secret(config.IPFToken)
	s.ipfStatus = v.a.IPFStatus()
	s.login, s.loginErr = autostart.Current()
	return s
}

func (v *View) build() {
	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		return e
	}
	v.listen = entry(":8000")
	v.path = entry("/ipfabric")
	v.maxAge = entry("1h")
	v.tlsCert = entry("none: plain HTTP")
	v.tlsKey = entry("none")
	v.secret = secretEntry()
	v.previous = secretEntry()
	v.until = entry("no end")
	v.retainEvents = entry("90")
	v.retainRejections = entry("30")
	v.maxRejections = entry("100000")

	v.showSecret = widget.NewButtonWithIcon("Show", theme.VisibilityIcon(), func() { toggleShown(v.secret, v.showSecret) })
	v.showPrevious = widget.NewButtonWithIcon("Show", theme.VisibilityIcon(), func() { toggleShown(v.previous, v.showPrevious) })
	v.generate = widget.NewButtonWithIcon("Generate", theme.ViewRefreshIcon(), v.generateSecret)
	v.copySecret = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), v.copyToClipboard)
	v.secretNote = hint("")
	v.previousNote = hint("")

	listener := form(
		v.row(fListen, "Address", v.listen, "host:port or :port (all interfaces)"),
		v.row(fPath, "Path", v.path, "the URL path IP Fabric posts to"),
		v.row(fMaxAge, "Maximum event age", v.maxAge, "older events are refused as stale, e.g. 1h or 30m; 0 turns the check off"),
		v.row(fTLSCert, "TLS certificate", v.tlsCert, "PEM file; with a key the listener serves HTTPS"),
		v.row(fTLSKey, "TLS key", v.tlsKey, "PEM file"),
	)
	v.addr = hint("")

	secretRow := container.NewBorder(nil, nil, nil, container.NewHBox(v.showSecret, v.generate, v.copySecret), v.secret)
	previousRow := container.NewBorder(nil, nil, nil, v.showPrevious, v.previous)
	secrets := form(
		v.rowWith(fSecret, "Secret", secretRow, v.secretNote),
		v.rowWith(fPrevious, "Previous secret", previousRow, v.previousNote),
		v.row(fPreviousUntil, "Accept previous until", v.until, "local time, "+untilLayout+"; empty accepts it until you remove it"),
	)

	var checks []fyne.CanvasObject
	for _, k := range app.NotifyKinds {
		c := widget.NewCheck(k.Label, nil)
		v.notify[string(k.Kind)] = c
		checks = append(checks, c)
	}

	retention := form(
		v.row(fRetainEvents, "Keep events", v.retainEvents, "days; 0 keeps them forever"),
		v.row(fRetainRejections, "Keep rejected deliveries", v.retainRejections, "days; 0 keeps them forever"),
		v.row(fMaxRejections, "Keep at most", v.maxRejections, "rejected deliveries; 0 for no limit"),
	)

	v.dataDir = widget.NewLabel("")
	v.dataDir.Truncation = fyne.TextTruncateEllipsis
	v.dbPath = widget.NewLabel("")
	v.dbPath.Truncation = fyne.TextTruncateEllipsis
	v.openFolder = widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), v.openDataDir)
	data := form(
		[2]fyne.CanvasObject{label("Folder"), container.NewBorder(nil, nil, nil, v.openFolder, v.dataDir)},
		[2]fyne.CanvasObject{label("Database"), v.dbPath},
	)

	body := container.NewVBox(
		section("Listener", "where IP Fabric delivers its webhooks", container.NewVBox(listener, v.addr)),
		section("Webhook secret", "IP Fabric signs every delivery with it", secrets),
		section("IP Fabric API", "to look up what a webhook does not say, and catch up on missed ones", v.buildIPF()),
		section("Notifications", "which desktop notifications to send", container.NewGridWithColumns(3, checks...)),
		section("Retention", "how long the log keeps what it received", retention),
		section("Start at login", "ipfwatch waits in the tray from the moment you log in", v.buildLogin()),
		section("Data", "database, settings, rules and the secret file", data),
	)

	v.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.Save)
	v.save.Importance = widget.HighImportance
	v.revert = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), v.Revert)
	v.result = widget.NewLabel("")
	v.result.Truncation = fyne.TextTruncateEllipsis
	bar := container.NewBorder(widget.NewSeparator(), nil, nil, container.NewHBox(v.revert, v.save), v.result)
	v.scroll = container.NewVScroll(container.NewPadded(body))
	v.content = container.NewBorder(nil, bar, nil, nil, v.scroll)
}

// fill puts st into the fields. UI goroutine only.
func (v *View) fill(st state) {
	v.loaded = st
	sv := st.view
	eff := sv.Effective
	// An overridden field shows the value in force; the others show the
	// saved one, which is what Save writes back.
	shown := sv.Saved
	overridden := map[string]bool{}
	for _, f := range sv.Overridden {
		overridden[f] = true
	}
	pick := func(key, saved, effective string) string {
		if overridden[key] {
			return effective
		}
		return saved
	}
	v.listen.SetText(pick(fListen, shown.Listen, eff.Listen))
	v.path.SetText(pick(fPath, shown.Path, eff.Path))
	v.maxAge.SetText(pick(fMaxAge, config.FormatDuration(time.Duration(shown.MaxAge)), config.FormatDuration(time.Duration(eff.MaxAge))))
	v.tlsCert.SetText(pick(fTLSCert, shown.TLSCert, eff.TLSCert))
	v.tlsKey.SetText(pick(fTLSKey, shown.TLSKey, eff.TLSKey))
	v.ipf.url.SetText(pick(fIPFURL, shown.IPFURL, eff.IPFURL))
	v.ipf.verify.SetText(pick(fIPFVerify, shown.IPFVerify, eff.IPFVerify))
	for key, e := range map[string]*widget.Entry{fListen: v.listen, fPath: v.path, fMaxAge: v.maxAge, fTLSCert: v.tlsCert, fTLSKey: v.tlsKey,
		fIPFURL: v.ipf.url, fIPFVerify: v.ipf.verify} {
		if overridden[key] {
			e.Disable()
			v.hints[key].SetText("Fixed for this run by " + overrideSource(key) + "; Save keeps the saved value.")
		} else {
			e.Enable()
		}
	}
	v.addr.SetText(listeningLine(st.addr))

	v.secret.SetText(st.secret)
	v.previous.SetText(st.previous)
	v.secret.Password, v.previous.Password = true, true
	v.showSecret.SetText("Show")
	v.showPrevious.SetText("Show")
	v.showSecret.SetIcon(theme.VisibilityIcon())
	v.showPrevious.SetIcon(theme.VisibilityIcon())
	v.secretNote.SetText(sourceNote(sv.SecretSource, config.EnvSecret, true))
	v.previousNote.SetText(sourceNote(sv.PreviousSource, config.EnvPreviousSecret, false))
	if sv.SecretSource == config.FromEnv {
		v.secret.Disable()
		v.generate.Disable()
	} else {
		v.secret.Enable()
		v.generate.Enable()
	}
	if sv.PreviousSource == config.FromEnv {
		v.previous.Disable()
	} else {
		v.previous.Enable()
	}
	v.until.SetText(formatUntil(shown.PreviousSecretUntil))
	v.fillIPF(st)
	v.showAutostart(st.login, st.loginErr)

	for _, k := range app.NotifyKinds {
		v.notify[string(k.Kind)].SetChecked(shown.NotifyEnabled(string(k.Kind)))
	}
	v.retainEvents.SetText(formatDays(time.Duration(shown.RetainEvents)))
	v.retainRejections.SetText(formatDays(time.Duration(shown.RetainRejections)))
	v.maxRejections.SetText(strconv.Itoa(shown.MaxRejections))
	v.dataDir.SetText(sv.DataDir)
	v.dbPath.SetText(sv.DBPath)
}

// Save validates every field and, if all are valid, applies them: the
// settings through app.ApplySettings (the listener rebinds if the address
// changed) and the secrets that changed. With any invalid field nothing
// at all is saved. Applying runs off the UI goroutine; the result line
// says how it went.
func (v *View) Save() {
	v.clearErrors()
	s, fe := v.collect()
	var invalid config.FieldErrors
	if err := s.Validate(); errors.As(err, &invalid) {
		for k, msg := range invalid {
			if _, ok := fe[k]; !ok {
				fe[k] = msg
			}
		}
	}
	if len(fe) > 0 {
		v.showErrors(fe)
		return
	}
	type secretChange struct {
		which config.Which
		value string
	}
	var secrets []secretChange
	if v.loaded.view.SecretSource != config.FromEnv && v.secret.Text != v.loaded.secret {
		secrets = append(secrets, secretChange{config.Current, v.secret.Text})
	}
	if v.loaded.view.PreviousSource != config.FromEnv && v.previous.Text != v.loaded.previous {
		secrets = append(secrets, secretChange{config.Previous, v.previous.Text})
	}
	if v.tokenChanged() {
		secrets = append(secrets, secretChange{config.IPFToken, v.ipf.token.Text})
	}
	v.save.Disable()
	v.revert.Disable()
	v.setResult("Saving…", widget.MediumImportance)
	v.pending.Go(func(context.Context) {
		err := v.a.ApplySettings(s)
		var invalid config.FieldErrors
		if errors.As(err, &invalid) {
			// Refused as a whole (an override made the result invalid):
			// the secrets are not saved either.
			v.post(func() {
				v.save.Enable()
				v.revert.Enable()
				v.showErrors(invalid)
			})
			return
		}
		secretErrs := config.FieldErrors{}
		for _, c := range secrets {
			if _, serr := v.a.SetSecret(c.which, c.value); serr != nil {
				secretErrs[secretField[c.which]] = "not saved: " + serr.Error()
			}
		}
		st := v.read()
		v.post(func() {
			v.save.Enable()
			v.revert.Enable()
			v.fill(st)
			switch {
			case err != nil:
				// The settings are saved; the listener could not move.
				v.setError(fListen, "Saved, but "+err.Error()+"; the listener stays where it was.")
				v.relayout()
				v.setResult("Saved, but the listener could not bind: "+err.Error(), widget.DangerImportance)
			case len(secretErrs) > 0:
				for k, msg := range secretErrs {
					v.setError(k, msg)
				}
				v.relayout()
				v.setResult("Settings saved, but a secret was not.", widget.DangerImportance)
			default:
				v.setResult("Saved. "+listeningLine(st.addr), widget.SuccessImportance)
			}
		})
	})
}

// Revert puts the saved settings back in the fields, dropping any edits.
// The secrets are read off the UI goroutine: the keyring may be slow.
func (v *View) Revert() {
	v.clearErrors()
	v.setResult("", widget.MediumImportance)
	v.pending.Go(func(context.Context) {
		st := v.read()
		v.post(func() { v.fill(st) })
	})
}

func (v *View) setResult(text string, imp widget.Importance) {
	v.result.Importance = imp
	v.result.SetText(text)
}

// generateSecret puts a new random secret in the field. The one it
// replaces moves to "previous", accepted for rotationWindow, so deliveries
// keep flowing until IP Fabric has the new one; the engineer sees both
// before saving.
func (v *View) generateSecret() {
	old := v.loaded.secret
	v.secret.SetText(config.GenerateSecret())
	note := "New secret generated: Save, then copy it into IP Fabric's webhook settings."
	if old != "" && !v.previous.Disabled() && v.previous.Text == v.loaded.previous {
		v.previous.SetText(old)
		until := v.now().Add(rotationWindow)
		v.until.SetText(until.Local().Format(untilLayout))
		note += " The old secret stays accepted as the previous one until " + until.Local().Format(untilLayout) + "."
	}
	v.secretNote.SetText(note)
}

func (v *View) copyToClipboard() {
	fyne.CurrentApp().Clipboard().SetContent(v.secret.Text)
	v.setResult("The secret is on the clipboard.", widget.MediumImportance)
}

func (v *View) openDataDir() {
	u, err := url.Parse(storage.NewFileURI(v.loaded.view.DataDir).String())
	if err == nil {
		err = fyne.CurrentApp().OpenURL(u)
	}
	if err != nil {
		v.setResult(fmt.Sprintf("Cannot open %s: %v", v.loaded.view.DataDir, err), widget.DangerImportance)
	}
}
