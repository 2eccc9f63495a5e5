package listener

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// SecretSet is the secrets in force. Two secrets exist so that the engineer
// can rotate the one configured in IP Fabric without losing the deliveries
// that were signed with the old one while the change propagates.
//
// PreviousUntil zero means the previous secret is accepted indefinitely.
// After PreviousUntil a signature made with Previous is rejected with the hint
// "matches the previous secret", so the engineer learns that IP Fabric still
// uses the old secret.
type SecretSet struct {
	Current       string
	Previous      string
	PreviousUntil time.Time
}

// Which secret a signature matched, as returned by Verify and recorded in
// webhook.Event.SecretMatched.
const (
	SecretCurrent  = "current"
	SecretPrevious = "previous"
)

// Diagnostic hints for signature failures. They say why IP Fabric and
// ipfwatch disagree, never what the right signature would have been.
const (
	HintHeaderMissing   = "header missing"
	HintNotHex          = "not hex"
	HintWrongLength     = "wrong length"
	HintUppercaseHex    = "uppercase hex"
	HintPreviousSecret  = "matches the previous secret"
	HintTrailingNewline = "signature of the body without its trailing newline"
)

// SignatureHeader is the header IP Fabric puts its signature in. Go
// canonicalises header names, so any casing on the wire is found.
const SignatureHeader = "X-IPF-Signature"

// SignatureError says why a signature was refused. Reason is what the sender
// is told; Hint is a diagnosis for the engineer and may be empty when none
// applies (for example a plain wrong secret). Neither ever contains a secret
// or a signature we computed.
type SignatureError struct {
	Reason string
	Hint   string
}

func (e *SignatureError) Error() string {
	if e.Hint == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Hint
}

// Sign returns the signature IP Fabric sends for body: the lowercase hex
// HMAC-SHA256 of the raw bytes, keyed with secret.
func Sign(body []byte, secret string) string {
	return hex.EncodeToString(mac(body, secret))
}

func mac(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header (the X-IPF-Signature value as received) against body
// under the current and then the previous secret, and returns which one
// matched ("current" or "previous").
//
// The header is read leniently, because a strict reading would lose
// deliveries for no security gain: surrounding spaces and a "sha256=" prefix
// (any case) are ignored and the hex is decoded case-insensitively, so an
// uppercase signature that matches is accepted. The comparison is done on the
// decoded bytes with hmac.Equal.
//
// On failure err is a *SignatureError with Reason "Invalid message signature"
// and the first hint that applies, in this order: "header missing", "not
// hex", "wrong length", "matches the previous secret" (it did, but after
// PreviousUntil), "signature of the body without its trailing newline" (it
// matches the body with one trailing "\n" or "\r\n" removed, under either
// secret: a proxy or script added a newline after signing), and last
// "uppercase hex" (nothing else explains it, and the sender used uppercase
// hex, which IP Fabric never does, so the sender is likely not IP Fabric or
// something rewrote the header). When no hint applies, Hint is empty: the
// secret is wrong or the body was changed.
//
// With no current secret nothing verifies: err has Reason "Webhook secret
// not configured", so that unsigned or empty-key data is never accepted.
func Verify(body []byte, header string, s SecretSet, now time.Time) (matched string, err error) {
	if s.Current == "" {
		return "", &SignatureError{Reason: ReasonUnconfigured}
	}
	sig := strings.TrimSpace(header)
	if sig == "" {
		return "", sigErr(HintHeaderMissing)
	}
	if len(sig) >= len("sha256=") && strings.EqualFold(sig[:len("sha256=")], "sha256=") {
		sig = strings.TrimSpace(sig[len("sha256="):])
	}
	if !isHex(sig) {
		return "", sigErr(HintNotHex)
	}
	if len(sig) != 2*sha256.Size {
		return "", sigErr(HintWrongLength)
	}
	got, decErr := hex.DecodeString(sig)
	if decErr != nil { // unreachable after isHex and the length check
		return "", sigErr(HintNotHex)
	}

	if hmac.Equal(got, mac(body, s.Current)) {
		return SecretCurrent, nil
	}
	if s.Previous != "" && hmac.Equal(got, mac(body, s.Previous)) {
		if !s.PreviousUntil.IsZero() && now.After(s.PreviousUntil) {
			return "", sigErr(HintPreviousSecret)
		}
		return SecretPrevious, nil
	}

	if stripped, ok := withoutTrailingNewline(body); ok {
		if hmac.Equal(got, mac(stripped, s.Current)) ||
			(s.Previous != "" && hmac.Equal(got, mac(stripped, s.Previous))) {
			return "", sigErr(HintTrailingNewline)
		}
	}
	if strings.ContainsAny(sig, "ABCDEF") {
		return "", sigErr(HintUppercaseHex)
	}
	return "", sigErr("")
}

func sigErr(hint string) error {
	return &SignatureError{Reason: ReasonInvalidSignature, Hint: hint}
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// withoutTrailingNewline returns body without one trailing "\r\n" or "\n".
func withoutTrailingNewline(body []byte) ([]byte, bool) {
	if b, ok := bytes.CutSuffix(body, []byte("\r\n")); ok {
		return b, true
	}
	return bytes.CutSuffix(body, []byte("\n"))
}
