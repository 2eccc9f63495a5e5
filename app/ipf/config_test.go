package ipf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"IPF_URL":    " https://ipf.example.com/ ",
		"IPF_TOKEN":  "tok123\n",
		"IPF_VERIFY": "False",
		"IPF_OTHER":  "ignored",
	}
	got := ConfigFromEnv(func(k string) string { return env[k] })
	want := Config{URL: "https://ipf.example.com/", Token: "tok123", Verify: "False"}
	if got.URL != want.URL || got.Token != want.Token || got.Verify != want.Verify {
		t.Fatalf("ConfigFromEnv = %q %q %q, want %q %q %q", got.URL, got.Token, got.Verify, want.URL, want.Token, want.Verify)
	}
	empty := ConfigFromEnv(func(string) string { return "" })
	if mode, _ := ParseVerify(empty.Verify); mode != VerifyOn {
		t.Errorf("unset IPF_VERIFY gives mode %v, want VerifyOn", mode)
	}
}

func TestOverride(t *testing.T) {
	env := Config{URL: "https://a", Token: "envtoken", Verify: "true"}
	got := env.Override(Config{URL: "https://b", Verify: "false"})
	if got.URL != "https://b" || got.Token != "envtoken" || got.Verify != "false" {
		t.Fatalf("Override = %+v", []string{got.URL, got.Token, got.Verify})
	}
	if same := env.Override(Config{}); same.URL != env.URL || same.Token != env.Token || same.Verify != env.Verify {
		t.Fatalf("empty override changed the config")
	}
}

func TestParseVerify(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		mode VerifyMode
		path string
	}{
		{"", VerifyOn, ""},
		{"true", VerifyOn, ""},
		{"True", VerifyOn, ""},
		{"TRUE", VerifyOn, ""},
		{"1", VerifyOn, ""},
		{"yes", VerifyOn, ""},
		{"Y", VerifyOn, ""},
		{"on", VerifyOn, ""},
		{"t", VerifyOn, ""},
		{"false", VerifyOff, ""},
		{"False", VerifyOff, ""},
		{"FALSE", VerifyOff, ""},
		{" false ", VerifyOff, ""},
		{"0", VerifyOff, ""},
		{"no", VerifyOff, ""},
		{"N", VerifyOff, ""},
		{"off", VerifyOff, ""},
		{"f", VerifyOff, ""},
		{"/etc/ipf/ca.pem", VerifyPEM, "/etc/ipf/ca.pem"},
		{"certs/ipf.pem", VerifyPEM, "certs/ipf.pem"},
		{"~/ipf.pem", VerifyPEM, filepath.Join(home, "ipf.pem")},
		{"2", VerifyPEM, "2"}, // the SDK too treats anything else as a path
	}
	for _, c := range cases {
		mode, path := ParseVerify(c.in)
		if mode != c.mode || path != c.path {
			t.Errorf("ParseVerify(%q) = %v, %q; want %v, %q", c.in, mode, path, c.mode, c.path)
		}
	}
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		in, want string
		bad      string // substring of the error, if it must fail
	}{
		{in: "https://ipf.example.com", want: "https://ipf.example.com"},
		{in: "https://ipf.example.com/", want: "https://ipf.example.com"},
		{in: "https://ipf.example.com/api", want: "https://ipf.example.com"},
		{in: "https://ipf.example.com/api/v7.0/", want: "https://ipf.example.com"},
		{in: "HTTPS://ipf.example.com:8443/x?y#z", want: "https://ipf.example.com:8443"},
		{in: "ipf.example.com", want: "https://ipf.example.com"},
		{in: "10.0.0.5:8443", want: "https://10.0.0.5:8443"},
		{in: "https://[::1]:8443/", want: "https://[::1]:8443"},
		{in: "http://ipf.lab", want: "http://ipf.lab"},
		{in: "", bad: "not set"},
		{in: "   ", bad: "not set"},
		{in: "ftp://ipf", bad: "https://"},
		{in: "https://admin:pw@ipf", bad: "user name or password"},
		{in: "https://", bad: "no host"},
		{in: "https://ipf\x7f", bad: "not a valid address"},
	}
	for _, c := range cases {
		u, err := ParseURL(c.in)
		if c.bad != "" {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != "IPF_URL" || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("ParseURL(%q) error = %v, want an IPF_URL ConfigError mentioning %q", c.in, err, c.bad)
			}
			if strings.Contains(fmt.Sprint(err), "pw") {
				t.Errorf("ParseURL(%q) error repeats the password: %v", c.in, err)
			}
			continue
		}
		if err != nil || u.String() != c.want {
			t.Errorf("ParseURL(%q) = %v, %v; want %s", c.in, u, err, c.want)
		}
	}
}

func TestMask(t *testing.T) {
	cases := map[string]string{
		"":                                 "(not set)",
		"short":                            "••••••••",
		"fifteen-chars-x":                  "••••••••",
		"0123456789abcdef0123456789ab1234": "••••••••1234",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConfigNeverShowsToken formats, logs and marshals a Config every way a
// caller might, and checks the token never comes out.
func TestConfigNeverShowsToken(t *testing.T) {
	const token = "SECRET-0123456789abcdef-TOKEN"
	cfg := Config{URL: "https://ipf.example.com", Token: token, Verify: "/etc/ipf.pem"}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%T %v"} {
		outs = append(outs, fmt.Sprintf(verb, cfg))
	}
	outs = append(outs, fmt.Sprintf("%v", &cfg), fmt.Sprintf("%+v", []Config{cfg}), fmt.Sprint(map[string]Config{"a": cfg}), cfg.String())
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "ipf", cfg)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "ipf", cfg, slog.Any("ptr", &cfg))
	outs = append(outs, buf.String())
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	for _, out := range outs {
		if strings.Contains(out, token) || strings.Contains(out, "0123456789abcdef") {
			t.Errorf("token leaked: %s", out)
		}
	}
	if !strings.Contains(cfg.String(), Mask(token)) || !strings.Contains(cfg.String(), "https://ipf.example.com") {
		t.Errorf("String() = %q, want the URL and the masked token", cfg.String())
	}
	if !strings.Contains(buf.String(), "ipf.url=https://ipf.example.com") {
		t.Errorf("slog text output lacks the URL: %s", buf.String())
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	badPEM := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(badPEM, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const token = "tok-0123456789abcdef0123"
	cases := []struct {
		name    string
		cfg     Config
		setting string
		says    string
	}{
		{"no url", Config{Token: token}, "IPF_URL", "not set"},
		{"no token", Config{URL: "https://ipf"}, "IPF_TOKEN", "not set"},
		{"token with newline", Config{URL: "https://ipf", Token: "abc\ndef"}, "IPF_TOKEN", "line breaks"},
		{"token with space", Config{URL: "https://ipf", Token: "abc def"}, "IPF_TOKEN", "spaces"},
		{"missing pem", Config{URL: "https://ipf", Token: token, Verify: filepath.Join(dir, "nope.pem")}, "IPF_VERIFY", "cannot be read"},
		{"pem without certificate", Config{URL: "https://ipf", Token: token, Verify: notPEM}, "IPF_VERIFY", "no PEM certificate"},
		{"pem with broken certificate", Config{URL: "https://ipf", Token: token, Verify: badPEM}, "IPF_VERIFY", "cannot be parsed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg, Options{})
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != c.setting || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("New error = %v, want a %s ConfigError saying %q", err, c.setting, c.says)
			}
			if c.cfg.Token != "" && strings.Contains(err.Error(), c.cfg.Token) {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}
