package listener_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

var benchBody = []byte(`{"type":"snapshot","action":"discover","status":"completed","requester":"user:7",` +
	`"snapshot":{"id":"d3bd33e7-5e0c-4f36-b0e8-3e5c2a1f9a77","name":"nightly"},"timestamp":1748779200000}`)

func BenchmarkVerify(b *testing.B) {
	s := listener.SecretSet{Current: curSecret, Previous: prevSecret}
	sig := listener.Sign(benchBody, curSecret)
	now := time.Now()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := listener.Verify(benchBody, sig, s, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := webhook.Parse(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// countSink accepts everything at once; the benchmark below measures the
// handler's own cost, not a store.
type countSink struct{ n atomic.Int64 }

func (s *countSink) Accept(context.Context, webhook.Event) (listener.Result, error) {
	return listener.Result{ID: s.n.Add(1)}, nil
}
func (s *countSink) Reject(context.Context, webhook.Rejection) {}

// BenchmarkHandler is the handler path without the network or a store:
// read, verify, parse, key, answer.
func BenchmarkHandler(b *testing.B) {
	h := listener.NewHandler(listener.Config{
		Secrets: func() listener.SecretSet { return listener.SecretSet{Current: curSecret} },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, &countSink{})
	bodies := make([][]byte, 1024)
	sigs := make([]string, len(bodies))
	now := time.Now().UnixMilli()
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"type":"snapshot","action":"discover","status":"completed","requester":"cron","snapshot":{"id":"s-%d"},"timestamp":%d}`, i, now)
		sigs[i] = listener.Sign(bodies[i], curSecret)
	}
	i := 0
	for b.Loop() {
		k := i % len(bodies)
		i++
		req := httptest.NewRequest(http.MethodPost, "/ipfabric", bytes.NewReader(bodies[k]))
		req.Header.Set("X-IPF-Signature", sigs[k])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("answer %d %s", rec.Code, rec.Body)
		}
	}
}
