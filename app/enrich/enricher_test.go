package enrich_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipfwatch/ipfwatch/app/enrich"
	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const snapID = "5a1b2c3d-0000-4000-8000-000000000001"

func fake(t *testing.T) *ipffake.Server {
	t.Helper()
	f := ipffake.Start(t, ipffake.Options{})
	f.SetSnapshots(ipffake.Snapshot{ID: snapID, Name: "nightly", TotalDevCount: 42, TsStart: 1000, TsEnd: 2000,
		Sites: []string{"BRANCH", "HQ"}, Errors: []ipffake.SnapshotError{{Type: "ABMapResultError", Count: 1}}})
	f.SetReports(snapID,
		ipffake.Report{ID: "1", Name: "NTP sources", Groups: []ipffake.Group{{ID: "g", Name: "Management"}},
			APIEndpoint: "/tables/management/ntp/sources", WebEndpoint: "/technology/management/ntp/sources",
			Column: "reachable", Counts: map[int]int{0: 30, 30: 12}},
		ipffake.Report{ID: "2", Name: "DNS", Counts: map[int]int{0: 5}},
		ipffake.Report{ID: "3", Name: "BGP", Counts: map[int]int{20: 2}})
	return f
}

func client(t *testing.T, f *ipffake.Server, url string) *ipf.Client {
	t.Helper()
	c, err := ipf.New(ipf.Config{URL: url, Token: f.Token, Verify: "false"}, ipf.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "ipfwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func stored(t *testing.T, st *store.Store, p webhook.Payload) webhook.Event {
	t.Helper()
	e := webhook.Event{Payload: p, Body: []byte(p.Type + p.Action + p.SnapshotID + p.Status), Key: p.Type + p.Action + p.Status + p.SnapshotID,
		ReceivedAt: time.Now()}
	res, err := st.InsertEvent(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	e.ID = res.ID
	return e
}

// outcomes collects what Done was told.
type outcomes struct {
	mu sync.Mutex
	rs []enrich.Result
	ch chan enrich.Result
}

func (o *outcomes) done(_ webhook.Event, r enrich.Result) {
	o.mu.Lock()
	o.rs = append(o.rs, r)
	o.mu.Unlock()
	o.ch <- r
}

func (o *outcomes) next(t *testing.T) enrich.Result {
	t.Helper()
	select {
	case r := <-o.ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no lookup ended")
	}
	return enrich.Result{}
}

func TestIntentVerificationIsEnriched(t *testing.T) {
	f := fake(t)
	st := openStore(t)
	c := client(t, f, f.URL)
	got := &outcomes{ch: make(chan enrich.Result, 8)}
	x := enrich.New(st, enrich.Options{Client: func() enrich.Client { return c }, Done: got.done})
	x.Start(context.Background())
	defer x.Stop()

	e := stored(t, st, webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", SnapshotID: snapID})
	if !x.Add(e) {
		t.Fatal("an intent verification was not queued")
	}
	r := got.next(t)
	if r.State != store.EnrichDone || r.Attempts != 1 || r.Snapshot == nil || r.Snapshot.Devices != 42 || len(r.Checks) != 3 {
		t.Fatalf("result %+v", r)
	}
	loaded, err := enrich.Load(context.Background(), st, e)
	if err != nil || loaded.State != store.EnrichDone || len(loaded.Checks) != 3 {
		t.Fatalf("stored result %+v, %v", loaded, err)
	}
	worst := enrich.Worst(loaded.Checks)
	if worst[0].Name != "NTP sources" || worst[0].Red != 12 || worst[1].Name != "BGP" || worst[0].APIEndpoint != "/tables/management/ntp/sources" || worst[0].Column != "reachable" {
		t.Errorf("checks worst first: %+v", worst)
	}
}

// TestNothingAskedForTestsOrWithoutAPI: a test webhook's random snapshot id
// is never looked up, other statuses need nothing, and nothing is asked
// while the API is not configured.
func TestNothingAskedForTestsOrWithoutAPI(t *testing.T) {
	f := fake(t)
	st := openStore(t)
	c := client(t, f, f.URL)
	var cl enrich.Client
	x := enrich.New(st, enrich.Options{Client: func() enrich.Client { return cl }})
	for _, p := range []webhook.Payload{
		{Type: "snapshot", Action: "discover", Status: "completed", SnapshotID: snapID, Test: true},
		{Type: "snapshot", Action: "discover", Status: "started", SnapshotID: snapID},
		{Type: "snapshot", Action: "clone", Status: "completed", SnapshotID: snapID},
	} {
		cl = c
		if x.Add(stored(t, st, p)) {
			t.Errorf("%+v queued for lookup", p)
		}
		if r := enrich.NotLookedUp(p); r.State != store.EnrichSkipped || r.Reason == "" {
			t.Errorf("%+v: %+v, want skipped with a reason", p, r)
		}
	}
	cl = nil
	e := stored(t, st, webhook.Payload{Type: "snapshot", Action: "discover", Status: "completed", SnapshotID: snapID})
	if x.Add(e) {
		t.Error("queued while the API is not configured")
	}
	if r, _ := enrich.Load(context.Background(), st, e); r.State != store.EnrichSkipped {
		t.Errorf("unconfigured: %+v", r)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests reached IP Fabric", n)
	}
}

// TestFailureIsRecordedAndRetried: an unreachable IP Fabric leaves the
// state failed with the reason and the attempt; the retry, on schedule,
// makes it pending again and then done once IP Fabric answers.
func TestFailureIsRecordedAndRetried(t *testing.T) {
	f := fake(t)
	st := openStore(t)
	c := client(t, f, f.URL)
	f.SetFault(ipffake.RouteSnapshot, ipffake.Fault{Status: 503, Times: 1})
	got := &outcomes{ch: make(chan enrich.Result, 8)}
	x := enrich.New(st, enrich.Options{Client: func() enrich.Client { return c }, Done: got.done,
		Backoff: []time.Duration{200 * time.Millisecond, time.Hour}})
	x.Start(context.Background())
	defer x.Stop()
	e := stored(t, st, webhook.Payload{Type: "snapshot", Action: "load", Status: "completed", SnapshotID: snapID})
	x.Add(e)
	first := got.next(t)
	if first.State != store.EnrichFailed || first.Attempts != 1 || first.Reason == "" || first.NextAttempt.IsZero() {
		t.Fatalf("first attempt %+v, want failed with a retry scheduled", first)
	}
	row, _ := st.Enrichment(context.Background(), e.ID)
	if row.State != store.EnrichFailed || row.Attempts != 1 {
		t.Errorf("stored after the failure: %+v", row)
	}
	second := got.next(t)
	if second.State != store.EnrichDone || second.Attempts != 2 || second.Snapshot.Name != "nightly" {
		t.Fatalf("retry %+v", second)
	}
}

// TestGivesUpAfterTheRetries: unreachable for good, the lookup is tried
// once plus once per backoff step, then left failed with no retry.
func TestGivesUpAfterTheRetries(t *testing.T) {
	f := fake(t)
	st := openStore(t)
	c := client(t, f, ipffake.ClosedURL(t))
	got := &outcomes{ch: make(chan enrich.Result, 8)}
	x := enrich.New(st, enrich.Options{Client: func() enrich.Client { return c }, Done: got.done,
		Backoff: []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}})
	x.Start(context.Background())
	defer x.Stop()
	e := stored(t, st, webhook.Payload{Type: "snapshot", Action: "discover", Status: "completed", SnapshotID: snapID})
	x.Add(e)
	var last enrich.Result
	for i := 1; i <= 3; i++ {
		last = got.next(t)
		if last.State != store.EnrichFailed || last.Attempts != i {
			t.Fatalf("attempt %d: %+v", i, last)
		}
	}
	if !last.NextAttempt.IsZero() {
		t.Errorf("a retry is scheduled after the last one: %+v", last)
	}
	select {
	case r := <-got.ch:
		t.Errorf("a fourth attempt: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	// Redo tries again now, counting from one.
	r, err := x.Redo(context.Background(), e.ID)
	if err != nil || r.State != store.EnrichFailed || r.Attempts != 1 {
		t.Errorf("Redo: %+v, %v", r, err)
	}
	<-got.ch
}
