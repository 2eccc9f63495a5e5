package events

import (
	"context"
	"fmt"
	"sync"
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
// retention off. With listen it also binds a loopback port for signed HTTP
// deliveries.
func newApp(tb testing.TB, listen bool) *app.App {
	tb.Helper()
	return uitest.NewApp(tb, uitest.AppOptions{Start: listen, Secret: secret, KeepAll: true})
}

func withQueue(q uitest.Queue) viewkit.Option { return viewkit.WithDo(q.Do) }

// settle runs posted work until the view has nothing in flight.
func settle(tb testing.TB, v *View, q uitest.Queue) {
	tb.Helper()
	uitest.Settle(tb, q, &v.Pending)
}

// newView builds the view in a test window of a fixed size.
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

func insert(tb testing.TB, a *app.App, d webhook.Event) int64 {
	tb.Helper()
	res, err := a.Store().InsertEvent(context.Background(), d)
	if err != nil {
		tb.Fatalf("insert: %v", err)
	}
	return res.ID
}

// bulkInsert stores n distinct events through InsertEvent, many at once so
// group commit keeps it quick.
func bulkInsert(tb testing.TB, a *app.App, n int) {
	tb.Helper()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				at := base.Add(time.Duration(i) * time.Second)
				ev := webhook.Payload{Type: "snapshot", Action: "discover", Status: statuses[i%len(statuses)],
					Requester: "user:1", TimestampMillis: at.UnixMilli(),
					SnapshotID: fmt.Sprintf("snap-%06d", i), SnapshotName: fmt.Sprintf("site-%d", i%50)}
				body := fmt.Appendf(nil, `{"type":"snapshot","action":"discover","status":%q,"requester":"user:1","timestamp":%d,"snapshot":{"id":%q,"name":%q}}`,
					ev.Status, ev.TimestampMillis, ev.SnapshotID, ev.SnapshotName)
				_, err := a.Store().InsertEvent(context.Background(), webhook.Event{Payload: ev, Body: body,
					Key: fmt.Sprintf("bulk-%d", i), RemoteAddr: "192.0.2.10:50123", ReceivedAt: at,
					SecretMatched: listener.SecretCurrent})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatalf("bulk insert: %v", err)
	default:
	}
}

// rowIDs lists the loaded rows' ids, newest first.
func rowIDs(v *View) []int64 {
	ids := make([]int64, len(v.tbl.Rows))
	for i, r := range v.tbl.Rows {
		ids[i] = r.ID
	}
	return ids
}
