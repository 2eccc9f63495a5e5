package app

import (
	"context"
	"fmt"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/app/ipf"
)

// IPFConfig is how IP Fabric's API is reached: the URL and verification in
// force (flags, then IPF_URL and IPF_VERIFY, then Settings) and the token
// (IPF_TOKEN, then the keyring or the 0600 file). Its token is masked
// wherever it is printed or logged.
func (a *App) IPFConfig() ipf.Config {
	cfg, _ := a.ipfConfig()
	return cfg
}

// ipfConfig is IPFConfig and where its token came from: one read of the
// token, which may be a keyring round trip.
func (a *App) ipfConfig() (ipf.Config, config.Source) {
	a.mu.Lock()
	s := a.effective
	a.mu.Unlock()
	token, src, _ := a.secrets.Get(config.IPFToken)
	return ipf.Config{URL: s.IPFURL, Verify: s.IPFVerify, Token: token}, src
}

// IPFStatus says whether IP Fabric's API is in use, and if not, why.
type IPFStatus struct {
	Configured bool
	Reason     string // why it is not, in plain words
	URL        string
	Verify     string // how the certificate is checked, in words
	TokenFrom  config.Source
	Token      string // masked
}

// IPFStatus reports whether IP Fabric's API is configured.
func (a *App) IPFStatus() IPFStatus {
	cfg, src := a.ipfConfig()
	st := IPFStatus{URL: cfg.URL, Verify: cfg.VerifyDescription(), TokenFrom: src, Token: ipf.Mask(cfg.Token)}
	st.Configured, st.Reason = a.ipfState()
	return st
}

// reloadIPF builds the client for the configuration in force, or records
// why there is none: nothing is asked of IP Fabric without a URL and a
// token. A broken configuration leaves the API unused (and says why); it
// never stops the listener.
func (a *App) reloadIPF() {
	cfg := a.IPFConfig()
	var client *ipf.Client
	var reason string
	switch {
	case cfg.URL == "":
		reason = "no IP Fabric URL (set IPF_URL, --ipf-url or the URL in Settings)"
	case cfg.Token == "":
		reason = "no API token (set IPF_TOKEN, run `ipfwatch ipf token --set-stdin`, or set it in Settings)"
	default:
		c, err := ipf.New(cfg, ipf.Options{Logger: a.log})
		if err != nil {
			reason = err.Error()
		} else {
			client = c
		}
	}
	a.mu.Lock()
	old := a.ipfClient
	a.ipfClient, a.ipfErr = client, reason
	a.mu.Unlock()
	if old != nil {
		old.Close()
	}
	if client != nil {
		a.log.Info("IP Fabric's API in use", "ipf", cfg)
	}
	a.catchUpReconfigured()
}

// ipf is the client in force, nil while the API is not configured.
func (a *App) ipf() *ipf.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ipfClient
}

// TestIPF checks cfg (Settings' Test connection, `ipfwatch ipf check`):
// IP Fabric's version, the API version used, and the user the token
// belongs to. Its errors say what is wrong in plain words.
func (a *App) TestIPF(ctx context.Context, cfg ipf.Config) (ipf.Info, error) {
	if cfg.URL == "" {
		return ipf.Info{}, fmt.Errorf("no IP Fabric URL: set IPF_URL or --ipf-url")
	}
	c, err := ipf.New(cfg, ipf.Options{Logger: a.log})
	if err != nil {
		return ipf.Info{}, err
	}
	defer c.Close()
	return c.TestConnection(ctx)
}
