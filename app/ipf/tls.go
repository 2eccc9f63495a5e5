package ipf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// tlsConfig builds the client's TLS settings for one verify mode. host is the
// name or address in IPF_URL, which CA-verified certificates must match.
func tlsConfig(mode VerifyMode, pemPath, host string) (*tls.Config, error) {
	switch mode {
	case VerifyOff:
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // the engineer chose IPF_VERIFY=false
	case VerifyPEM:
		certs, err := readPEMCerts(pemPath)
		if err != nil {
			return nil, err
		}
		return pinnedOrCA(certs, host), nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12}, nil
}

// readPEMCerts reads every certificate in a PEM file.
func readPEMCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Setting: "IPF_VERIFY", Problem: fmt.Sprintf("names %s, which cannot be read: %v (IPF_VERIFY is true, false, or a PEM certificate file)", path, unwrapPathError(err)), Err: err}
	}
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &ConfigError{Setting: "IPF_VERIFY", Problem: fmt.Sprintf("names %s, which holds a certificate that cannot be parsed: %v", path, err), Err: err}
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, &ConfigError{Setting: "IPF_VERIFY", Problem: fmt.Sprintf("names %s, which holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)}
	}
	return certs, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pinnedOrCA trusts the server when its certificate is byte for byte one of
// certs (pinning: host names and dates are not checked, the engineer chose
// that certificate), or when it chains to one of certs as a root and matches
// host (CA verification, as a browser would do).
func pinnedOrCA(certs []*x509.Certificate, host string) *tls.Config {
	roots := x509.NewCertPool()
	for _, c := range certs {
		roots.AddCert(c)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification is done in VerifyConnection below, which sees the
		// presented chain; InsecureSkipVerify only turns off the default one.
		InsecureSkipVerify: true, //nolint:gosec // replaced by VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &trustError{reason: "it presented no certificate"}
			}
			leaf := cs.PeerCertificates[0]
			for _, c := range certs {
				if bytes.Equal(c.Raw, leaf.Raw) {
					return nil
				}
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host})
			if err != nil {
				return &trustError{chain: cs.PeerCertificates, err: err, reason: "it is neither the certificate in IPF_VERIFY nor signed by it: " + describeX509(err)}
			}
			return nil
		},
	}
}

// trustError is what the pinned-or-CA check returns; the client turns it
// into a TLSError.
type trustError struct {
	chain  []*x509.Certificate
	reason string
	err    error
}

func (e *trustError) Error() string { return "certificate not trusted: " + e.reason }
func (e *trustError) Unwrap() error { return e.err }

// describeX509 says in plain words why a certificate failed verification.
func describeX509(err error) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "it is not signed by an authority this computer trusts (self-signed, or signed by a private CA)"
	case errors.As(err, &he):
		names := append([]string{}, he.Certificate.DNSNames...)
		for _, ip := range he.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			return fmt.Sprintf("it names no host, so it is not valid for %s", he.Host)
		}
		return fmt.Sprintf("it is for %s, not %s", strings.Join(names, ", "), he.Host)
	case errors.As(err, &ci):
		if ci.Reason == x509.Expired {
			return fmt.Sprintf("it is only valid from %s to %s", ci.Cert.NotBefore.Format(time.DateOnly), ci.Cert.NotAfter.Format(time.DateOnly))
		}
		return ci.Error()
	}
	return err.Error()
}
