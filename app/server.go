package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/listener"
)

// server is one bound listener: the HTTP server and the address it got.
type server struct {
	http *http.Server
	spec string // the address as configured
	addr string // the address actually bound (":0" resolved)
	// cert is the certificate the listener presents (DER), nil without
	// TLS. The test sender trusts exactly this one: a self-signed
	// certificate on our own listener cannot be verified any other way.
	cert []byte
	done chan struct{}
}

func (s *server) shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}

// bind starts serving on s.Listen. On success it replaces a previous
// server, which is shut down gracefully after the new one is up so a
// rebind loses no delivery; on failure the previous server keeps running.
// Call it with changeMu held, which serialises binds and keeps them from
// happening after Shutdown.
func (a *App) bind(s config.Settings) error {
	if a.phase == stopped {
		return errShutDown
	}
	// The certificate is loaded before anything is torn down, so a bad
	// one leaves the running listener alone.
	var cert *tls.Certificate
	if s.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			return a.bindFailed(fmt.Errorf("TLS certificate: %w", err))
		}
		cert = &c
	}
	a.mu.Lock()
	bound := a.srv
	a.mu.Unlock()
	if bound != nil && bound.spec == s.Listen {
		// Same address: the old socket must go before the new one can bind.
		// IP Fabric retries whatever meets the short gap.
		a.mu.Lock()
		a.srv = nil
		a.mu.Unlock()
		bound.shutdown(context.Background())
	}
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return a.bindFailed(describeBindError(s.Listen, err))
	}
	var certDER []byte
	if cert != nil {
		certDER = cert.Certificate[0]
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	}
	hs := listener.NewServer(s.Listen, http.HandlerFunc(a.serveHTTP))
	srv := &server{http: hs, spec: s.Listen, addr: ln.Addr().String(), cert: certDER, done: make(chan struct{})}
	a.serving.Go(func(context.Context) {
		defer close(srv.done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("listener stopped", "err", err)
		}
	})
	a.mu.Lock()
	old := a.srv
	a.srv = srv
	a.listenErr = nil
	a.mu.Unlock()
	a.log.Info("listening", "addr", srv.addr, "path", s.Path, "tls", s.TLSCert != "")
	if old != nil {
		// Requests in flight on the old address finish in the background;
		// Shutdown waits for them before it closes the store.
		a.serving.Go(func(context.Context) { old.shutdown(context.Background()) })
	}
	a.publish(Change{Kind: StateChanged})
	return nil
}

// bindFailed records why the listener is not bound, for the tray.
func (a *App) bindFailed(err error) error {
	a.mu.Lock()
	a.listenErr = err
	a.mu.Unlock()
	a.publish(Change{Kind: StateChanged})
	return err
}

// describeBindError turns the common bind failures into what the tray shows.
func describeBindError(addr string, err error) error {
	_, port, _ := net.SplitHostPort(addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("port %s in use", port)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("no permission to listen on port %s", port)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}

// serveHTTP hands the request to the current handler; settings changes swap
// the handler without touching the bound socket.
func (a *App) serveHTTP(w http.ResponseWriter, r *http.Request) {
	a.handler.Load().ServeHTTP(w, r)
}

// Addr is the address the listener is bound to, or "" when it is not.
func (a *App) Addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.srv == nil {
		return ""
	}
	return a.srv.addr
}

// URL is the webhook URL of this machine's own listener, for the test
// sender: on loopback when the listener binds every interface, else on the
// address it binds (127.0.0.1 would not reach a listener bound to
// 127.0.0.2, ::1 or a LAN address).
func (a *App) URL() string {
	url, _ := a.self()
	return url
}

// self is URL and the certificate the listener there presents (DER, nil
// without TLS), from one look at the server, so a rebind in between cannot
// pair the new address with the old certificate.
func (a *App) self() (url string, cert []byte) {
	a.mu.Lock()
	srv, s := a.srv, a.effective
	a.mu.Unlock()
	if srv == nil {
		return "", nil
	}
	scheme := "http"
	if srv.cert != nil {
		scheme = "https"
	}
	return scheme + "://" + LocalHostPort(srv.addr) + s.Path, srv.cert
}

// LocalHostPort turns a bound address into one a client on this machine
// can dial: an unspecified host (":8000", "0.0.0.0", "::") becomes
// 127.0.0.1, any other host is kept.
func LocalHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
