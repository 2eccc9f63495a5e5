package ipf

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Config says which IP Fabric to talk to and how. It is read from the same
// environment variables as IP Fabric's Python SDK (python-ipfabric), so an
// engineer's existing .env values work unchanged; command-line flags can
// override any field with Override.
//
// The token is a secret: Config prints, formats, logs and marshals with the
// token masked, so passing a Config to fmt, slog or encoding/json is safe.
type Config struct {
	// URL is IP Fabric's address (IPF_URL), e.g. https://ipfabric.example.com.
	// Like the SDK, which joins /api/... onto the host, any path is ignored,
	// so https://ipf/, https://ipf/api and https://ipf/api/v7.0/ all work.
	URL string `json:"url" yaml:"url"`
	// Token is the API token (IPF_TOKEN), sent as X-API-Token. Never printed.
	Token string `json:"-" yaml:"-"`
	// Verify is IPF_VERIFY: "true" (the default, also when empty), "false",
	// or the path of a PEM file to trust. See ParseVerify.
	Verify string `json:"verify" yaml:"verify"`
}

// ConfigFromEnv reads IPF_URL, IPF_TOKEN and IPF_VERIFY through getenv
// (os.Getenv in the product, a map lookup in tests). Surrounding spaces are
// trimmed: a token pasted with a trailing newline would otherwise be an
// invalid header.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		URL:    strings.TrimSpace(getenv("IPF_URL")),
		Token:  strings.TrimSpace(getenv("IPF_TOKEN")),
		Verify: strings.TrimSpace(getenv("IPF_VERIFY")),
	}
}

// Override returns c with every non-empty field of o in its place, so flags
// given on the command line win over the environment.
func (c Config) Override(o Config) Config {
	if v := strings.TrimSpace(o.URL); v != "" {
		c.URL = v
	}
	if v := strings.TrimSpace(o.Token); v != "" {
		c.Token = v
	}
	if v := strings.TrimSpace(o.Verify); v != "" {
		c.Verify = v
	}
	return c
}

// String describes c with the token masked.
func (c Config) String() string {
	return fmt.Sprintf("IPF_URL=%s IPF_TOKEN=%s IPF_VERIFY=%s", c.URL, Mask(c.Token), c.VerifyDescription())
}

// Format makes every fmt verb (%v, %+v, %#v, %d, %x...) print String, so no
// verb can reach the raw token field.
func (c Config) Format(f fmt.State, verb rune) {
	_, _ = f.Write([]byte(c.String()))
}

// LogValue makes slog log c as a group with the token masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", c.URL),
		slog.String("token", Mask(c.Token)),
		slog.String("verify", c.VerifyDescription()),
	)
}

// VerifyDescription says in words how the server's certificate is checked.
func (c Config) VerifyDescription() string {
	mode, path := ParseVerify(c.Verify)
	switch mode {
	case VerifyOff:
		return "false (certificate not verified)"
	case VerifyPEM:
		return path
	}
	return "true"
}

// Mask shows a token in a form safe for the UI: a fixed run of dots and, for
// tokens long enough that it gives nothing away, the last four characters, so
// an engineer can tell which of their tokens is configured.
func Mask(token string) string {
	if token == "" {
		return "(not set)"
	}
	r := []rune(token)
	if len(r) < 16 {
		return "••••••••"
	}
	return "••••••••" + string(r[len(r)-4:])
}

// VerifyMode is how the server's TLS certificate is checked.
type VerifyMode int

const (
	// VerifyOn checks the certificate against the system's CAs and the host name.
	VerifyOn VerifyMode = iota
	// VerifyOff accepts any certificate (IPF_VERIFY=false).
	VerifyOff
	// VerifyPEM trusts the certificates in a PEM file: a certificate in the
	// file that is exactly the server's is pinned (accepted whatever its host
	// names and dates, as the engineer chose that very certificate); otherwise
	// the file's certificates are CAs and the usual checks apply (chain,
	// dates, host name).
	VerifyPEM
)

// ParseVerify reads IPF_VERIFY the way the Python SDK (ipfabric >= 6.3,
// Settings._verify) does: case-insensitively, "0", "off", "f", "false", "n",
// "no" mean off; "1", "on", "t", "true", "y", "yes" mean on; anything else is
// the path of a certificate file. Two deliberate differences: an empty value
// means on (the SDK hands "" to httpx, which then skips verification), and a
// leading "~/" is expanded to the home directory.
func ParseVerify(s string) (VerifyMode, string) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "1", "on", "t", "true", "y", "yes":
		return VerifyOn, ""
	case "0", "off", "f", "false", "n", "no":
		return VerifyOff, ""
	}
	if strings.HasPrefix(s, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, s[2:])
		}
	}
	return VerifyPEM, s
}

// ParseURL turns IPF_URL into IP Fabric's base address, scheme://host[:port].
// A missing scheme means https. Any path, query or fragment is dropped, as the
// SDK builds every call from the host (it requests /api/version from the root
// and joins api/{version}/ onto the URL). User names or passwords in the URL
// are refused rather than silently sent.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, &ConfigError{Setting: "IPF_URL", Problem: "is not set: give IP Fabric's address, e.g. https://ipfabric.example.com"}
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &ConfigError{Setting: "IPF_URL", Problem: "is not a valid address: " + describeURLError(err), Err: err}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, &ConfigError{Setting: "IPF_URL", Problem: fmt.Sprintf("must start with https:// (or http://), not %s://", u.Scheme)}
	}
	if u.User != nil {
		return nil, &ConfigError{Setting: "IPF_URL", Problem: "must not contain a user name or password; use IPF_TOKEN"}
	}
	if u.Hostname() == "" {
		return nil, &ConfigError{Setting: "IPF_URL", Problem: fmt.Sprintf("%q has no host name", raw)}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// describeURLError gives url.Parse's reason without repeating the URL,
// which might carry a password.
func describeURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "it cannot be parsed"
}

// checkToken refuses tokens that cannot be sent as a header. The message never
// quotes the token.
func checkToken(token string) error {
	if token == "" {
		return &ConfigError{Setting: "IPF_TOKEN", Problem: "is not set: create an API token in IP Fabric (Settings, API tokens) and set IPF_TOKEN"}
	}
	for _, r := range token {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r > unicode.MaxASCII {
			return &ConfigError{Setting: "IPF_TOKEN", Problem: "contains spaces, line breaks or non-ASCII characters; paste the token again"}
		}
	}
	return nil
}
