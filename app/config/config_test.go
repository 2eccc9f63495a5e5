package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
		fields []string // fields at fault, none for valid
	}{
		{"defaults", func(*Settings) {}, nil},
		{"port 0 asks for a free port", func(s *Settings) { s.Listen = "127.0.0.1:0" }, nil},
		{"host name", func(s *Settings) { s.Listen = "laptop.local:8443" }, nil},
		{"IPv6", func(s *Settings) { s.Listen = "[::1]:8000" }, nil},
		{"no port", func(s *Settings) { s.Listen = "8000" }, []string{"listen"}},
		{"port too big", func(s *Settings) { s.Listen = ":70000" }, []string{"listen"}},
		{"bad host", func(s *Settings) { s.Listen = "a b:80" }, []string{"listen"}},
		{"relative path", func(s *Settings) { s.Path = "ipfabric" }, []string{"path"}},
		{"path with query", func(s *Settings) { s.Path = "/x?y" }, []string{"path"}},
		{"healthz is taken", func(s *Settings) { s.Path = "/healthz" }, []string{"path"}},
		{"negative age", func(s *Settings) { s.MaxAge = Duration(-time.Second) }, []string{"max_age"}},
		{"cert without key", func(s *Settings) { s.TLSCert = "/c.pem" }, []string{"tls_key"}},
		{"runs out of range", func(s *Settings) { s.MaxConcurrentRuns = 0 }, []string{"max_concurrent_runs"}},
		{"two at once", func(s *Settings) { s.Listen = "x"; s.MaxRejections = -1 }, []string{"listen", "max_rejections"}},
	}
	for _, tt := range tests {
		s := DefaultSettings()
		tt.change(&s)
		err := s.Validate()
		var fe FieldErrors
		if len(tt.fields) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.As(err, &fe) || len(fe) != len(tt.fields) {
			t.Errorf("%s: %v, want errors on %v", tt.name, err, tt.fields)
			continue
		}
		for _, f := range tt.fields {
			if fe[f] == "" {
				t.Errorf("%s: no error on %s: %v", tt.name, f, fe)
			}
		}
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	path := SettingsFile(t.TempDir())
	s, err := LoadSettings(path)
	if err != nil || s.Listen != ":8000" || s.Path != "/ipfabric" || s.MaxAge != Duration(time.Hour) {
		t.Fatalf("defaults from a missing file: %+v %v", s, err)
	}
	s.Listen = "127.0.0.1:9000"
	s.MaxAge = Duration(90 * time.Minute)
	s.Notify = map[string]bool{"snapshot-completed": false}
	if err := SaveSettings(path, s); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"max_age": "1h30m0s"`) {
		t.Errorf("durations not in Go syntax:\n%s", b)
	}
	got, err := LoadSettings(path)
	if err != nil || got.Listen != s.Listen || got.MaxAge != s.MaxAge || got.NotifyEnabled("snapshot-completed") || !got.NotifyEnabled("snapshot-failed") {
		t.Errorf("round trip: %+v %v", got, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("settings mode %v", fi.Mode().Perm())
	}
	bad := s
	bad.Path = "nope"
	if err := SaveSettings(path, bad); err == nil {
		t.Errorf("invalid settings saved")
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Errorf("invalid save changed the file")
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if s, err := LoadSettings(path); err == nil || s.Listen != ":8000" {
		t.Errorf("broken file: %+v %v, want defaults and an error", s, err)
	}
}

func TestSecretStore(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{}
	s := NewSecretStore(dir, false)
	s.getenv = func(k string) string { return env[k] }
	if v, src, err := s.Get(Current); v != "" || src != FromNowhere || err != nil {
		t.Fatalf("empty store: %q %q %v", v, src, err)
	}
	if src, err := s.Set(Current, "s3cret"); src != FromFile || err != nil {
		t.Fatalf("Set: %q %v", src, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "secret.current"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %v %v", fi, err)
	}
	if v, src, _ := s.Get(Current); v != "s3cret" || src != FromFile {
		t.Errorf("Get: %q %q", v, src)
	}
	env[EnvSecret] = "from-env"
	if v, src, _ := s.Get(Current); v != "from-env" || src != FromEnv {
		t.Errorf("environment does not win: %q %q", v, src)
	}
	if _, err := s.Set(Previous, "two\nlines"); err == nil {
		t.Errorf("a secret with a line break was stored")
	}
	if src, err := s.Set(Current, ""); src != FromNowhere || err != nil {
		t.Errorf("delete: %q %v", src, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.current")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secret file left after delete: %v", err)
	}
	if a, b := GenerateSecret(), GenerateSecret(); len(a) != 64 || a == b {
		t.Errorf("GenerateSecret: %q %q", a, b)
	}
}

func TestFyneRootConfigDir(t *testing.T) {
	home, _ := os.UserHomeDir()
	if got, want := fyneRootConfigDir("darwin"), filepath.Join(home, "Library", "Preferences", "fyne"); got != want {
		t.Errorf("darwin: %s, want %s", got, want)
	}
	cfg, _ := os.UserConfigDir()
	if got, want := fyneRootConfigDir("linux"), filepath.Join(cfg, "fyne"); got != want {
		t.Errorf("linux: %s, want %s", got, want)
	}
	if !strings.HasSuffix(DefaultDataDir(), filepath.Join("fyne", AppID)) {
		t.Errorf("DefaultDataDir %s", DefaultDataDir())
	}
}

func TestOverrides(t *testing.T) {
	listen, age := "127.0.0.1:1", 5*time.Minute
	o := Overrides{Listen: &listen, MaxAge: &age}
	s := o.Apply(DefaultSettings())
	if s.Listen != listen || s.MaxAge != Duration(age) || s.Path != "/ipfabric" {
		t.Errorf("Apply: %+v", s)
	}
	if f := o.Fields(); len(f) != 2 || f[0] != "listen" || f[1] != "max_age" {
		t.Errorf("Fields: %v", f)
	}
}
