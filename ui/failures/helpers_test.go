package failures

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
	"github.com/ipfwatch/ipfwatch/ui/internal/viewkit"
)

const secret = uitest.Secret

// newApp opens a real App on a temporary directory with a secret set and
// retention off; with listen it also serves on a loopback port.
func newApp(tb testing.TB, listen bool) *app.App {
	tb.Helper()
	return uitest.NewApp(tb, uitest.AppOptions{Start: listen, Secret: secret, KeepAll: true})
}

func withQueue(q uitest.Queue) viewkit.Option { return viewkit.WithDo(q.Do) }

// settle runs what the view posted, on the test goroutine, until nothing
// is in flight.
func settle(tb testing.TB, v *View, q uitest.Queue) {
	tb.Helper()
	uitest.Settle(tb, q, &v.Pending)
}

func newView(tb testing.TB, a *app.App, opts ...viewkit.Option) (*View, fyne.Window, uitest.Queue) {
	tb.Helper()
	q := make(uitest.Queue, 64)
	var v *View
	w := uitest.Show(tb, func(w fyne.Window) fyne.CanvasObject {
		v = New(a, w, append([]viewkit.Option{withQueue(q)}, opts...)...)
		return v.Content()
	}, fyne.NewSize(1400, 800))
	settle(tb, v, q)
	return v, w, q
}

// rejection is a refused signature check as the listener reports it.
func rejection(at time.Time, hint string) webhook.Rejection {
	body := fmt.Appendf(nil, `{"type":"snapshot","status":"completed","timestamp":%d}`, at.UnixMilli())
	return webhook.Rejection{
		ReceivedAt: at, RemoteAddr: "192.0.2.20:41000", Method: "POST", Path: "/ipfabric",
		UserAgent: "IPF-Webhook/7.2", Size: int64(len(body)), Status: 400,
		Reason: listener.ReasonInvalidSignature, Hint: hint,
		Signature:   strings.Repeat("ab", 32),
		BodySHA256:  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		BodyPreview: body,
		Headers:     map[string]string{"Content-Type": "application/json", "X-Ipf-Signature": strings.Repeat("ab", 32)},
	}
}

func insert(tb testing.TB, a *app.App, r webhook.Rejection) int64 {
	tb.Helper()
	id, err := a.Store().InsertRejection(context.Background(), r)
	if err != nil {
		tb.Fatalf("insert rejection: %v", err)
	}
	return id
}

func rowIDs(v *View) []int64 {
	ids := make([]int64, len(v.tbl.Rows))
	for i, r := range v.tbl.Rows {
		ids[i] = r.ID
	}
	return ids
}
