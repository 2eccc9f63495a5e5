package config

import "time"

// Overrides are settings fixed for this process by a flag or an
// IPFWATCH_* environment variable. They win over settings.json, and the
// Settings view shows them as such. A nil field is not overridden.
type Overrides struct {
	Listen  *string
	Path    *string
	MaxAge  *time.Duration
	TLSCert *string
	TLSKey  *string
	// IPFURL and IPFVerify come from --ipf-url and --ipf-verify (or
	// IPFWATCH_IPF_URL, IPFWATCH_IPF_VERIFY), else from IP Fabric's own
	// IPF_URL and IPF_VERIFY, read as its Python SDK reads them.
	IPFURL    *string
	IPFVerify *string
}

// Apply returns s with the overridden fields replaced.
func (o Overrides) Apply(s Settings) Settings {
	if o.Listen != nil {
		s.Listen = *o.Listen
	}
	if o.Path != nil {
		s.Path = *o.Path
	}
	if o.MaxAge != nil {
		s.MaxAge = Duration(*o.MaxAge)
	}
	if o.TLSCert != nil {
		s.TLSCert = *o.TLSCert
	}
	if o.TLSKey != nil {
		s.TLSKey = *o.TLSKey
	}
	if o.IPFURL != nil {
		s.IPFURL = *o.IPFURL
	}
	if o.IPFVerify != nil {
		s.IPFVerify = *o.IPFVerify
	}
	return s
}

// Fields lists the JSON names of the overridden settings.
func (o Overrides) Fields() []string {
	var f []string
	if o.Listen != nil {
		f = append(f, "listen")
	}
	if o.Path != nil {
		f = append(f, "path")
	}
	if o.MaxAge != nil {
		f = append(f, "max_age")
	}
	if o.TLSCert != nil {
		f = append(f, "tls_cert")
	}
	if o.TLSKey != nil {
		f = append(f, "tls_key")
	}
	if o.IPFURL != nil {
		f = append(f, "ipf_url")
	}
	if o.IPFVerify != nil {
		f = append(f, "ipf_verify")
	}
	return f
}
