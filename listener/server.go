package listener

import (
	"log/slog"
	"net/http"
	"time"
)

// NewServer returns an HTTP server for h on addr with every timeout set, so
// that slow or stalled clients cannot hold connections or memory: a webhook
// is one small request, and nothing legitimate needs longer. Its own error
// log (TLS handshakes, malformed requests) goes to slog at warning level.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
}
