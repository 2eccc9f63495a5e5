// Package send builds and delivers IP Fabric-style webhooks, signed like IP
// Fabric signs them. It is how an engineer checks a setup (`ipfwatch send`),
// how the tray's "Send test webhook" works, and what the end-to-end tests
// drive the real binary with.
package send

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
)

// Payload says what to send. Zero values get sensible defaults for the type.
type Payload struct {
	Type         string // "snapshot" (default) or "intent-verification"
	Action       string // default "discover" / "calculate"
	Status       string // default "completed"
	Requester    string // default "user:1" / "snapshot:discover"
	SnapshotID   string // default a fresh id
	SnapshotName string
	Reason       string
	Test         bool
	Time         time.Time // default now
}

// Body returns the JSON body IP Fabric would send for p.
func Body(p Payload) []byte {
	now := p.Time
	if now.IsZero() {
		now = time.Now()
	}
	if p.Type == "" {
		p.Type = "snapshot"
	}
	if p.Status == "" {
		p.Status = "completed"
	}
	if p.SnapshotID == "" {
		p.SnapshotID = fmt.Sprintf("%08x-0000-4000-8000-%012x", now.Unix()&0xffffffff, now.UnixNano()&0xffffffffffff)
	}
	m := map[string]any{"type": p.Type, "status": p.Status, "timestamp": now.UnixMilli()}
	switch p.Type {
	case "intent-verification":
		m["action"] = or(p.Action, "calculate")
		m["requester"] = or(p.Requester, "snapshot:discover")
		m["snapshotId"] = p.SnapshotID
		m["reportId"] = "1"
	default:
		m["action"] = or(p.Action, "discover")
		m["requester"] = or(p.Requester, "user:1")
		snap := map[string]any{"id": p.SnapshotID}
		if p.SnapshotName != "" {
			snap["name"] = p.SnapshotName
		}
		m["snapshot"] = snap
		if p.Reason != "" {
			m["reason"] = p.Reason
		}
	}
	if p.Test {
		m["test"] = true
	}
	b, _ := json.Marshal(m) // a map of strings, numbers and bools always marshals
	return b
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Answer is what the listener said.
type Answer struct {
	Status int
	Body   string
}

// Do posts body to url with the signature header (omitted when sig is
// empty) and returns the answer.
func Do(ctx context.Context, client *http.Client, url string, body []byte, sig string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ipfwatch-send")
	if sig != "" {
		req.Header.Set("X-IPF-Signature", sig)
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("post %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return Answer{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}, nil
}

// Signed posts body signed with secret.
func Signed(ctx context.Context, url, secret string, body []byte) (Answer, error) {
	return Do(ctx, nil, url, body, listener.Sign(body, secret))
}

// Curl returns the equivalent curl command. The body is passed with
// --data-binary so curl sends it byte for byte, as the signature requires;
// every argument is single-quoted for a POSIX shell.
//
// options are extra curl options, quoted like the rest (CurlPin gives the
// ones that trust exactly ipfwatch's own certificate).
func Curl(url string, body []byte, sig string, options ...string) string {
	var b strings.Builder
	b.WriteString("curl -sS -X POST -H 'Content-Type: application/json'")
	for _, o := range options {
		b.WriteString(" " + shellQuote(o))
	}
	if sig != "" {
		b.WriteString(" -H " + shellQuote("X-IPF-Signature: "+sig))
	}
	b.WriteString(" --data-binary " + shellQuote(string(body)) + " " + shellQuote(url))
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TLSOptions says which HTTPS listeners the sender trusts beyond those with
// a certificate the system verifies.
type TLSOptions struct {
	// Pinned certificates (DER) are trusted as they are, whatever their
	// issuer or names: an engineer's listener usually has a self-signed
	// certificate, and the sender knows exactly which one it is.
	Pinned [][]byte
	// Insecure trusts any certificate, like curl -k. For a quick check only.
	Insecure bool
}

// Client returns an HTTP client that trusts what o says and, for every
// other certificate, does the usual verification against the system roots
// and the host name.
func Client(o TLSOptions) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{
			MinVersion: tls.VersionTLS12,
			// Verification is done below, where the pinned certificates
			// can be consulted first.
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				return verifyPeer(cs, host, o)
			},
		}
		if net.ParseIP(host) == nil {
			cfg.ServerName = host
		}
		return (&tls.Dialer{Config: cfg}).DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

func verifyPeer(cs tls.ConnectionState, host string, o TLSOptions) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	for _, p := range o.Pinned {
		if bytes.Equal(p, leaf.Raw) {
			return nil
		}
	}
	if o.Insecure {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Intermediates: inter})
	return err
}

// CurlPin returns the curl options that trust exactly the public key of
// der (a certificate, as PinnedFromFile reads it), as the Go client does
// with Pinned: -k turns off the chain and name checks (a self-signed
// loopback certificate has neither), --pinnedpubkey then refuses any other
// key.
func CurlPin(der []byte) ([]string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return []string{"-k", "--pinnedpubkey", "sha256//" + base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// PinnedFromFile reads the certificates of a PEM file (a listener's
// --tls-cert) for TLSOptions.Pinned.
func PinnedFromFile(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	var ders [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			ders = append(ders, blk.Bytes)
		}
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return ders, nil
}
