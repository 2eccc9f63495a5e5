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
func (a *App) bind(s config.Settings) error {
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
		err = describeBindError(s.Listen, err)
		a.mu.Lock()
		a.listenErr = err
		a.mu.Unlock()
		a.publish(Change{Kind: StateChanged})
		return err
	}
	if s.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			ln.Close()
			err = fmt.Errorf("TLS certificate: %w", err)
			a.mu.Lock()
			a.listenErr = err
			a.mu.Unlock()
			a.publish(Change{Kind: StateChanged})
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	hs := listener.NewServer(s.Listen, http.HandlerFunc(a.serveHTTP))
	srv := &server{http: hs, spec: s.Listen, addr: ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(srv.done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("listener stopped", "err", err)
		}
	}()
	a.mu.Lock()
	old := a.srv
	a.srv = srv
	a.listenErr = nil
	a.mu.Unlock()
	a.log.Info("listening", "addr", srv.addr, "path", s.Path, "tls", s.TLSCert != "")
	if old != nil {
		go old.shutdown(context.Background())
	}
	a.publish(Change{Kind: StateChanged})
	return nil
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

// URL is the webhook URL on this machine's loopback, for the test sender.
func (a *App) URL() string {
	addr := a.Addr()
	if addr == "" {
		return ""
	}
	_, port, _ := net.SplitHostPort(addr)
	a.mu.Lock()
	s := a.effective
	a.mu.Unlock()
	scheme := "http"
	if s.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://127.0.0.1:" + port + s.Path
}
