package ipf

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Every failure of a call is one of the error types below, each phrased for a
// network engineer and each reachable with errors.As. Text that comes from IP
// Fabric (messages, snippets of bodies) is shortened and has the token
// removed before it is put in an error, so an error can be shown or logged as
// it is even when the server echoes request headers.

// ConfigError says a setting is missing or unusable.
type ConfigError struct {
	Setting string // IPF_URL, IPF_TOKEN or IPF_VERIFY
	Problem string
	Err     error
}

func (e *ConfigError) Error() string { return e.Setting + " " + e.Problem }
func (e *ConfigError) Unwrap() error { return e.Err }

// UnreachableError says no HTTP exchange with IP Fabric took place: the name
// does not resolve, nothing listens, the connection was refused or dropped,
// the port does not speak TLS, or nothing answered while connecting.
type UnreachableError struct {
	Addr   string // host:port dialled
	Reason string // in plain words
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach IP Fabric at %s: %s", e.Addr, e.Reason)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// TLSError says IP Fabric presented a certificate that is not trusted. It
// carries the certificates as presented so the UI can show them and offer to
// save the server's certificate for IPF_VERIFY (see PEM).
type TLSError struct {
	Addr   string
	Reason string              // why it is not trusted, in plain words
	Chain  []*x509.Certificate // as presented, server's certificate first
	Err    error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("IP Fabric at %s presented a certificate this computer does not trust (%s): subject %s, SHA-256 fingerprint %s. "+
		"If that is your IP Fabric's certificate, save it as a PEM file and set IPF_VERIFY=/path/to/cert.pem to trust exactly it "+
		"(or IPF_VERIFY=false to skip verification)",
		e.Addr, e.Reason, e.Subject(), e.Fingerprint())
}
func (e *TLSError) Unwrap() error { return e.Err }

// Subject is the server certificate's subject, or its host names when the
// subject is empty.
func (e *TLSError) Subject() string {
	if len(e.Chain) == 0 {
		return "(no certificate)"
	}
	return certSubject(e.Chain[0])
}

// Fingerprint is the SHA-256 fingerprint of the server's certificate in the
// usual colon-separated hex, as browsers and `openssl x509 -fingerprint
// -sha256` show it.
func (e *TLSError) Fingerprint() string {
	if len(e.Chain) == 0 {
		return "(none)"
	}
	return Fingerprint(e.Chain[0])
}

// PEM is the server's certificate as a PEM file, ready to be written to disk
// and named in IPF_VERIFY to pin it. Nil when no certificate was presented.
func (e *TLSError) PEM() []byte {
	if len(e.Chain) == 0 {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.Chain[0].Raw})
}

// Fingerprint is the SHA-256 fingerprint of cert, colon-separated upper-case hex.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

func certSubject(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return s
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) > 0 {
		return "(empty, for " + strings.Join(names, ", ") + ")"
	}
	return "(empty)"
}

// API_INVALID_API_TOKEN and API_EXPIRED_API_TOKEN are the codes IP Fabric
// gives with a 401 for a token it does not know and one that has expired.
const (
	CodeInvalidToken = "API_INVALID_API_TOKEN"
	CodeExpiredToken = "API_EXPIRED_API_TOKEN"
)

// AuthError says IP Fabric refused the token (HTTP 401).
type AuthError struct {
	Code    string // IP Fabric's code, e.g. API_EXPIRED_API_TOKEN; may be empty
	Message string // IP Fabric's message, cleaned
}

// Expired reports whether the token was refused because it expired.
func (e *AuthError) Expired() bool { return e.Code == CodeExpiredToken }

func (e *AuthError) Error() string {
	switch e.Code {
	case CodeExpiredToken:
		return "IP Fabric says the API token has expired (" + e.Code + "): create a new token in IP Fabric (Settings, API tokens) and set IPF_TOKEN"
	case CodeInvalidToken:
		return "IP Fabric does not accept the API token (" + e.Code + "): check IPF_TOKEN, or create a new token in IP Fabric (Settings, API tokens)"
	}
	msg := "IP Fabric refused the API token (HTTP 401"
	if e.Code != "" {
		msg += ", " + e.Code
	}
	msg += ")"
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// ForbiddenError says the token is valid but lacks the right for a call (HTTP 403).
type ForbiddenError struct {
	Method, Path string
	Code         string
	Message      string
}

func (e *ForbiddenError) Error() string {
	msg := fmt.Sprintf("IP Fabric refused %s %s (HTTP 403): the API token lacks the right for it; give the token's user or scope access", e.Method, e.Path)
	if e.Message != "" {
		msg += " (IP Fabric says: " + e.Message + ")"
	}
	return msg
}

// UnsupportedVersionError says IP Fabric does not serve the API version
// asked for (HTTP 410), even after re-reading /api/version.
type UnsupportedVersionError struct {
	Used       string // the version ipfwatch asked for, e.g. v7.0
	Release    string // IP Fabric's release_version, e.g. 5.4.2+1
	APIVersion string // IP Fabric's api_version, e.g. v5.4
	Message    string
}

func (e *UnsupportedVersionError) Error() string {
	rel := "IP Fabric"
	if e.Release != "" {
		rel += " " + e.Release
	}
	msg := fmt.Sprintf("%s does not support API version %s (HTTP 410)", rel, e.Used)
	if e.APIVersion != "" {
		msg += "; it serves " + e.APIVersion
	}
	if e.Message != "" {
		msg += " (IP Fabric says: " + e.Message + ")"
	}
	return msg
}

// NotFoundError says IP Fabric has no such snapshot or intent check.
type NotFoundError struct {
	What string // "snapshot", "intent check", "table"
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("IP Fabric has no %s %q", e.What, e.ID) }

// ColumnError says a table refused the columns asked for (HTTP 422), after
// the fallbacks CheckRows tries.
type ColumnError struct {
	Table   string
	Columns []string
	Message string
}

func (e *ColumnError) Error() string {
	return said(fmt.Sprintf("IP Fabric's table %s refused the columns %s (HTTP 422)", e.Table, strings.Join(e.Columns, ", ")), e.Message)
}

// said is msg with what IP Fabric said, if it said anything.
func said(msg, message string) string {
	if message != "" {
		return msg + ": " + message
	}
	return msg
}

// Answer is a call and the status IP Fabric answered it with, and what it
// said; ServerError and StatusError carry it.
type Answer struct {
	Method, Path string
	Status       int
	Message      string
}

func (a Answer) describe(how string) string {
	return said(fmt.Sprintf("IP Fabric "+how+" %s %s (HTTP %d %s)", a.Method, a.Path, a.Status, http.StatusText(a.Status)), a.Message)
}

// ServerError says IP Fabric failed to answer a call (HTTP 5xx).
type ServerError struct{ Answer }

func (e *ServerError) Error() string { return e.describe("failed to answer") }

// StatusError is any other status ipfwatch does not expect from a call.
type StatusError struct{ Answer }

func (e *StatusError) Error() string { return e.describe("gave an unexpected answer to") }

// RedirectError says IP Fabric answered with a redirect. Redirects are not
// followed, so the token is only ever sent to the configured address.
type RedirectError struct {
	Method, Path string
	Status       int
	Location     string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("IP Fabric answered %s %s with a redirect (HTTP %d) to %s: set IPF_URL to the address IP Fabric is served on",
		e.Method, e.Path, e.Status, e.Location)
}

// BadResponseError says IP Fabric answered, but not with the JSON expected.
type BadResponseError struct {
	Method, Path string
	Problem      string
	Err          error
}

func (e *BadResponseError) Error() string {
	return fmt.Sprintf("IP Fabric's answer to %s %s is not what ipfwatch expects: %s", e.Method, e.Path, e.Problem)
}
func (e *BadResponseError) Unwrap() error { return e.Err }

// TimeoutError says IP Fabric accepted the connection but did not answer a
// call in time. It wraps context.DeadlineExceeded.
type TimeoutError struct {
	Method, Path string
	After        time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("IP Fabric did not answer %s %s within %s", e.Method, e.Path, e.After)
}
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, like net.Error.
func (e *TimeoutError) Timeout() bool { return true }
