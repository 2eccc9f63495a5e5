package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes Go syntax ("1h30m") in
// JSON, so the settings file stays readable.
type Duration time.Duration

// MarshalJSON writes the duration in Go syntax.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads Go syntax, or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(time.Duration(n * float64(time.Second)))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Settings are what the engineer can change at runtime, in the Settings view
// or by editing settings.json in the data directory. Secrets are not here:
// they live in the OS keyring or a 0600 file (see SecretStore).
type Settings struct {
	Listen string   `json:"listen"`
	Path   string   `json:"path"`
	MaxAge Duration `json:"max_age"`
	// PreviousSecretUntil ends the rotation window: after it, a delivery
	// signed with the previous secret is refused with a hint saying so.
	// Zero keeps the previous secret accepted.
	PreviousSecretUntil time.Time `json:"previous_secret_until,omitempty"`
	TLSCert             string    `json:"tls_cert,omitempty"`
	TLSKey              string    `json:"tls_key,omitempty"`
	// Notify switches notification kinds on and off; a kind that is absent
	// is on.
	Notify            map[string]bool `json:"notify,omitempty"`
	RetainEvents      Duration        `json:"retain_events"`
	RetainRejections  Duration        `json:"retain_rejections"`
	MaxRejections     int             `json:"max_rejections"`
	MaxConcurrentRuns int             `json:"max_concurrent_runs"`
	// IPFURL is IP Fabric's address for its REST API ("" leaves the API
	// unused); IPFVerify is how its certificate is checked: "true",
	// "false", or a PEM file to trust. The token is a secret (IPFToken).
	IPFURL    string `json:"ipf_url,omitempty"`
	IPFVerify string `json:"ipf_verify,omitempty"`
}

// DefaultSettings are used for anything settings.json does not say.
func DefaultSettings() Settings {
	return Settings{
		Listen:            ":8000",
		Path:              "/ipfabric",
		MaxAge:            Duration(time.Hour),
		RetainEvents:      Duration(90 * 24 * time.Hour),
		RetainRejections:  Duration(30 * 24 * time.Hour),
		MaxRejections:     100000,
		MaxConcurrentRuns: 2,
	}
}

// NotifyEnabled reports whether notifications of kind are on.
func (s Settings) NotifyEnabled(kind string) bool {
	on, ok := s.Notify[kind]
	return !ok || on
}

// FieldErrors maps a settings field (its JSON name) to what is wrong with it.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k, v := range fe {
		keys = append(keys, k+": "+v)
	}
	slices.Sort(keys)
	return "invalid settings: " + strings.Join(keys, "; ")
}

// Validate checks every field and returns FieldErrors naming each one at
// fault, or nil.
func (s Settings) Validate() error {
	fe := FieldErrors{}
	if err := ValidateListen(s.Listen); err != nil {
		fe["listen"] = err.Error()
	}
	if !strings.HasPrefix(s.Path, "/") || strings.ContainsAny(s.Path, " ?#") || s.Path == "/healthz" {
		fe["path"] = "must start with / and contain no spaces, ? or #, and not be /healthz"
	}
	if s.MaxAge < 0 {
		fe["max_age"] = "must be 0 (off) or positive"
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		fe["tls_key"] = "give both a certificate and a key, or neither"
	}
	if s.RetainEvents < 0 {
		fe["retain_events"] = "must be 0 (keep forever) or positive"
	}
	if s.RetainRejections < 0 {
		fe["retain_rejections"] = "must be 0 (keep forever) or positive"
	}
	if s.MaxRejections < 0 {
		fe["max_rejections"] = "must be 0 (no limit) or positive"
	}
	if s.MaxConcurrentRuns < 1 || s.MaxConcurrentRuns > 64 {
		fe["max_concurrent_runs"] = "must be between 1 and 64"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// ValidateListen checks a listen address of the form host:port or :port.
func ValidateListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port or :port, e.g. :8000")
	}
	n, err := strconv.Atoi(port)
	// Port 0 asks the system for a free port: useful for tests and for a
	// second instance, so it is allowed.
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535")
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("host %q is not an IP address or host name", host)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// LoadSettings reads settings.json, filling what it lacks from the
// defaults. A missing file gives the defaults.
func LoadSettings(path string) (Settings, error) {
	s := DefaultSettings()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return DefaultSettings(), fmt.Errorf("parse %s: %w", path, err)
	}
	return s, nil
}

// SaveSettings validates s and writes it atomically (temp file + rename),
// so a crash never leaves half a file.
func SaveSettings(path string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'), 0o600)
}

// WriteFileAtomic replaces path with data, mode perm, through a synced
// temporary file in the same directory renamed over it: a crash never leaves
// half a file, and a reader never sees one.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	return replaceWith(f, path, data)
}

// replaceWith writes data to the temporary file f, syncs and closes it,
// and renames it over path; f is removed if anything fails.
func replaceWith(f *os.File, path string, data []byte) error {
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// FormatDuration writes d the way an engineer would type it: "24h", "10m",
// "1h30m" rather than Go's "24h0m0s"; zero is "0".
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
