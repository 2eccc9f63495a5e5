package settings

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
)

// overrideSource names the flag and environment variables that fix a
// field: IP Fabric's address and certificate check also come from IP
// Fabric's own IPF_URL and IPF_VERIFY.
func overrideSource(key string) string {
	flagName := strings.ReplaceAll(key, "_", "-")
	if key == fIPFURL || key == fIPFVerify {
		return "--" + flagName + ", IPFWATCH_" + strings.ToUpper(key) + " or " + strings.ToUpper(key)
	}
	return "--" + flagName + " or IPFWATCH_" + strings.ToUpper(key)
}

func sourceNote(src config.Source, env string, current bool) string {
	switch src {
	case config.FromEnv:
		return "Set by " + env + "; edit the environment to change it."
	case config.FromKeyring:
		return "Kept in the OS keyring."
	case config.FromFile:
		return "Kept in a file in the data folder that only you can read."
	}
	if current {
		return "Not set: every delivery is refused (503) until you set one. Generate one, Save, and paste it into IP Fabric."
	}
	return "None. When you replace the secret, put the old one here so deliveries keep working while IP Fabric is updated."
}

func formatDays(d time.Duration) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

func formatUntil(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(untilLayout)
}

// collect turns the fields into settings, starting from the saved ones so
// that what this view does not show (and overridden fields) is kept. It
// returns what could not be read, per field.
func (v *View) collect() (config.Settings, config.FieldErrors) {
	s := v.loaded.view.Saved
	fe := config.FieldErrors{}
	overridden := map[string]bool{}
	for _, f := range v.loaded.view.Overridden {
		overridden[f] = true
	}
	if !overridden[fListen] {
		s.Listen = strings.TrimSpace(v.listen.Text)
	}
	if !overridden[fPath] {
		s.Path = strings.TrimSpace(v.path.Text)
	}
	if !overridden[fMaxAge] {
		d, err := parseDuration(v.maxAge.Text)
		if err != nil {
			fe[fMaxAge] = "a duration like 1h, 30m or 90s; 0 turns the check off"
		}
		s.MaxAge = config.Duration(d)
	}
	if !overridden[fTLSCert] {
		s.TLSCert = strings.TrimSpace(v.tlsCert.Text)
	}
	if !overridden[fTLSKey] {
		s.TLSKey = strings.TrimSpace(v.tlsKey.Text)
	}
	v.collectIPF(&s, fe, overridden)
	if t := strings.TrimSpace(v.until.Text); t == "" {
		s.PreviousSecretUntil = time.Time{}
	} else if u, err := time.ParseInLocation(untilLayout, t, time.Local); err != nil {
		fe[fPreviousUntil] = "a local date and time like 2025-01-31 18:00, or empty"
	} else {
		s.PreviousSecretUntil = u
	}
	s.Notify = nil
	for _, k := range app.NotifyKinds {
		if !v.notify[string(k.Kind)].Checked {
			if s.Notify == nil {
				s.Notify = map[string]bool{}
			}
			s.Notify[string(k.Kind)] = false
		}
	}
	days := func(key, text string) config.Duration {
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			fe[key] = "a number of days, e.g. 30; 0 keeps forever"
			return 0
		}
		return config.Duration(time.Duration(f * float64(24*time.Hour)))
	}
	s.RetainEvents = days(fRetainEvents, v.retainEvents.Text)
	s.RetainRejections = days(fRetainRejections, v.retainRejections.Text)
	if n, err := strconv.Atoi(strings.TrimSpace(v.maxRejections.Text)); err != nil {
		fe[fMaxRejections] = "a whole number; 0 for no limit"
	} else {
		s.MaxRejections = n
	}
	if msg := checkSecret(v.secret.Text, v.loaded.secret != ""); msg != "" && v.loaded.view.SecretSource != config.FromEnv {
		fe[fSecret] = msg
	}
	if msg := checkSecret(v.previous.Text, false); msg != "" && v.loaded.view.PreviousSource != config.FromEnv {
		fe[fPrevious] = msg
	}
	return s, fe
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// checkSecret says what is wrong with a secret, or "". required refuses an
// empty one: removing the secret in force would refuse every delivery.
func checkSecret(s string, required bool) string {
	switch {
	case s == "" && required:
		return "cannot be empty: every delivery would be refused"
	case strings.ContainsAny(s, "\r\n"):
		return "cannot contain line breaks"
	case s != strings.TrimSpace(s):
		return "cannot start or end with a space"
	}
	return ""
}

func (v *View) clearErrors() {
	for _, e := range v.errs {
		e.SetText("")
		e.Hide()
	}
	v.relayout()
}

// setError shows msg under field key.
func (v *View) setError(key, msg string) {
	v.errs[key].SetText(msg)
	v.errs[key].Show()
}

// relayout lays the view out again after errors appeared or went: Fyne
// does not resize a container when a child is shown or hidden.
func (v *View) relayout() { v.content.Refresh() }

// showErrors marks each field at fault; errors for fields this view does
// not show go to the result line.
func (v *View) showErrors(fe config.FieldErrors) {
	var other []string
	for k, msg := range fe {
		if _, ok := v.errs[k]; ok {
			v.setError(k, msg)
		} else {
			other = append(other, k+": "+msg)
		}
	}
	text := "Not saved: correct the fields marked in red."
	slices.Sort(other)
	if len(other) > 0 {
		text = "Not saved: " + strings.Join(other, "; ")
	}
	v.setResult(text, widget.DangerImportance)
	v.relayout()
	for _, k := range v.order {
		if v.errs[k].Visible() {
			v.scrollTo(v.errs[k])
			break
		}
	}
}

// scrollTo scrolls the form so that obj, and the field above it, are in
// view.
func (v *View) scrollTo(obj fyne.CanvasObject) {
	d := fyne.CurrentApp().Driver()
	y := d.AbsolutePositionForObject(obj).Y - d.AbsolutePositionForObject(v.scroll.Content).Y
	v.scroll.ScrollToOffset(fyne.NewPos(0, max(0, y-3*theme.TextSize()*2)))
}
