package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func TestEventRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	body := []byte("{\"type\":\"intent-verification\", \"x\":\"\x00\xff\"}\n") // byte for byte, not UTF-8
	d := webhook.Event{
		Payload: webhook.Payload{
			Type: "intent-verification", Action: "calculate", Status: "resumed (stopping)",
			Reason: "why, 100% _sure_", Requester: "snapshot:load",
			TimestampMillis: base.Add(-time.Minute).UnixMilli(), Test: true,
			SnapshotID: "d3bd033e-1ba6-4b27-86f5-18d2a6b7fb2e", SnapshotName: "Site A, nightly",
			CloneID: "clone-1", File: "snap.tar",
			ReportIDs:    []string{"r1", "r,2"},
			Unrecognised: []string{"status", "field:a,b", "field:100%"},
		},
		Body:          body,
		BodySHA256:    "ab12",
		Key:           "intent-verification|calculate|...",
		RemoteAddr:    "[::1]:51234",
		UserAgent:     "IP Fabric/7.2",
		ReceivedAt:    base,
		SecretMatched: "previous",
	}
	res, err := s.InsertEvent(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.ID <= 0 {
		t.Fatalf("result = %+v, want a new id", res)
	}
	got, err := s.GetEvent(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := webhook.Event{Payload: webhook.Payload{Type: d.Payload.Type, Action: d.Payload.Action, Status: d.Payload.Status, Reason: d.Payload.Reason, Requester: d.Payload.Requester, Test: true, TimestampMillis: base.Add(-time.Minute).UnixMilli(), SnapshotID: d.Payload.SnapshotID, SnapshotName: d.Payload.SnapshotName, CloneID: "clone-1", File: "snap.tar", ReportIDs: d.Payload.ReportIDs, Unrecognised: d.Payload.Unrecognised}, ID: res.ID, ReceivedAt: base, LastSeenAt: base, RemoteAddr: d.RemoteAddr, UserAgent: d.UserAgent, SecretMatched: "previous", Duplicates: 0, BodySHA256: "ab12", Body: body}
	if !reflect.DeepEqual(normal(got), normal(want)) {
		t.Errorf("GetEvent =\n%+v\nwant\n%+v", got, want)
	}

	var key string
	if err := s.readDB.QueryRow("SELECT dedupe_key FROM events WHERE id = ?", res.ID).Scan(&key); err != nil || key != d.Key {
		t.Errorf("dedupe_key = %q (%v), want %q", key, err, d.Key)
	}

	// Lists leave the body out.
	list, err := s.ListEvents(ctx, EventFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListEvents = %d rows, %v", len(list), err)
	}
	want.Body = nil
	if !reflect.DeepEqual(normal(list[0]), normal(want)) {
		t.Errorf("ListEvents row =\n%+v\nwant\n%+v", list[0], want)
	}

	if _, err := s.GetEvent(ctx, res.ID+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetEvent(missing) err = %v, want ErrNotFound", err)
	}
}

// normal makes times comparable with DeepEqual (same location, no monotonic
// reading).
func normal(r webhook.Event) webhook.Event {
	r.ReceivedAt = r.ReceivedAt.UTC()
	r.LastSeenAt = r.LastSeenAt.UTC()
	if r.Source == "" {
		r.Source = webhook.SourceWebhook
	}
	return r
}

func TestEventWithoutKeyOrHash(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := webhook.Event{Payload: webhook.Payload{Type: "snapshot"}, Body: []byte(`{"a":1}`), ReceivedAt: base}
	b := webhook.Event{Payload: webhook.Payload{Type: "snapshot"}, Body: []byte(`{"b":1}`), ReceivedAt: base}
	ra, err := s.InsertEvent(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := s.InsertEvent(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Duplicate || ra.ID == rb.ID {
		t.Errorf("two different keyless bodies: %+v and %+v, want two events", ra, rb)
	}
	ra2, err := s.InsertEvent(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !ra2.Duplicate || ra2.ID != ra.ID {
		t.Errorf("same keyless body again: %+v, want duplicate of %d", ra2, ra.ID)
	}
	ev, err := s.GetEvent(ctx, ra.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.BodySHA256 != "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862" {
		t.Errorf("computed body hash = %s", ev.BodySHA256)
	}
}

func TestDuplicates(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		repeat func(d webhook.Event) webhook.Event
	}{
		{"same key, reformatted body", func(d webhook.Event) webhook.Event {
			d.Body = append([]byte(" "), d.Body...)
			d.BodySHA256 = "different-hash"
			return d
		}},
		{"same body, different key", func(d webhook.Event) webhook.Event {
			d.Key = "some other key"
			return d
		}},
		{"identical retry", func(d webhook.Event) webhook.Event { return d }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			orig := testDelivery(1, base)
			first, err := s.InsertEvent(ctx, orig)
			if err != nil {
				t.Fatal(err)
			}
			other, err := s.InsertEvent(ctx, testDelivery(2, base))
			if err != nil {
				t.Fatal(err)
			}
			// IP Fabric retries after 1, 2, 5 and 10 minutes; the 2-minute
			// retry is answered after the 5-minute one here.
			for i, at := range []time.Duration{time.Minute, 5 * time.Minute, 2 * time.Minute} {
				d := c.repeat(orig)
				d.ReceivedAt = base.Add(at)
				res, err := s.InsertEvent(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Duplicate || res.ID != first.ID {
					t.Errorf("repeat %d: %+v, want duplicate of %d", i+1, res, first.ID)
				}
			}
			ev, err := s.GetEvent(ctx, first.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Duplicates != 3 {
				t.Errorf("duplicates = %d, want 3", ev.Duplicates)
			}
			if !ev.ReceivedAt.Equal(base) || !ev.LastSeenAt.Equal(base.Add(5*time.Minute)) {
				t.Errorf("received %v, last seen %v; want %v and %v", ev.ReceivedAt, ev.LastSeenAt, base, base.Add(5*time.Minute))
			}
			if string(ev.Body) != string(orig.Body) {
				t.Errorf("body replaced by a duplicate's: %q", ev.Body)
			}
			o, err := s.GetEvent(ctx, other.ID)
			if err != nil || o.Duplicates != 0 {
				t.Errorf("unrelated event duplicates = %d (%v), want 0", o.Duplicates, err)
			}
			if n, _, _ := s.CountSince(ctx, time.Time{}); n != 2 {
				t.Errorf("%d events stored, want 2", n)
			}
		})
	}
}

// insertMany stores ds from 8 goroutines and returns each delivery's id.
func insertMany(t *testing.T, s *Store, ds []webhook.Event) []int64 {
	t.Helper()
	ids := make([]int64, len(ds))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				res, err := s.InsertEvent(context.Background(), ds[i])
				if err != nil || res.Duplicate {
					t.Errorf("insert %d: %+v, %v", i, res, err)
				}
				ids[i] = res.ID
			}
		})
	}
	for i := range ds {
		next <- i
	}
	close(next)
	wg.Wait()
	return ids
}

func TestListEventsFiltersAndPaging(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const n = 1000
	ds := make([]webhook.Event, n)
	for i := range ds {
		d := testDelivery(i, base.Add(time.Duration(i)*time.Minute))
		switch i % 4 {
		case 0:
			d.Payload.Status = "failed"
			d.Payload.Reason = fmt.Sprintf("discovery %d%% done", i%100)
		case 1:
			d.Payload.Type = "intent-verification"
			d.Payload.Action = "calculate"
		}
		if i%10 == 0 {
			d.Payload.SnapshotName = fmt.Sprintf("site_%d", i)
		} else {
			d.Payload.SnapshotName = fmt.Sprintf("siteX%d", i)
		}
		ds[i] = d
	}
	ids := insertMany(t, s, ds)
	byID := map[int64]webhook.Event{}
	for i, id := range ids {
		byID[id] = ds[i]
	}

	for _, c := range []struct {
		name  string
		f     EventFilter
		match func(d webhook.Event) bool
	}{
		{"all", EventFilter{}, func(webhook.Event) bool { return true }},
		{"type", EventFilter{Type: "intent-verification"}, func(d webhook.Event) bool { return d.Payload.Type == "intent-verification" }},
		{"status", EventFilter{Status: "failed"}, func(d webhook.Event) bool { return d.Payload.Status == "failed" }},
		{"since", EventFilter{Since: base.Add(700 * time.Minute)}, func(d webhook.Event) bool { return !d.ReceivedAt.Before(base.Add(700 * time.Minute)) }},
		// "_" and "%" are literal: "site_" must not match "siteX...", "0%" not "0 ...".
		{"search underscore", EventFilter{Search: "site_"}, func(d webhook.Event) bool { return strings.Contains(d.Payload.SnapshotName, "site_") }},
		{"search percent in reason", EventFilter{Search: "0% d"}, func(d webhook.Event) bool { return strings.Contains(d.Payload.Reason, "0% d") }},
		{"search snapshot id, any case", EventFilter{Search: "SNAP-0001"}, func(d webhook.Event) bool { return strings.Contains(d.Payload.SnapshotID, "snap-0001") }},
		{"search no match", EventFilter{Search: `x\%`}, func(webhook.Event) bool { return false }},
		{"combined", EventFilter{Status: "failed", Search: "site_", Since: base.Add(300 * time.Minute)}, func(d webhook.Event) bool {
			return d.Payload.Status == "failed" && strings.Contains(d.Payload.SnapshotName, "site_") && !d.ReceivedAt.Before(base.Add(300*time.Minute))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want []int64
			for id, d := range byID {
				if c.match(d) {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			slices.Reverse(want)
			if c.name != "search no match" && len(want) == 0 {
				t.Fatal("test data matches nothing")
			}

			// Page through with keyset paging.
			var got []int64
			f := c.f
			f.Limit = 37
			for pages := 0; ; pages++ {
				if pages > n {
					t.Fatal("paging does not end")
				}
				rows, err := s.ListEvents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					got = append(got, r.ID)
					if r.Body != nil {
						t.Fatalf("row %d carries its body in a list", r.ID)
					}
					if d := byID[r.ID]; r.SnapshotID != d.Payload.SnapshotID || r.Status != d.Payload.Status {
						t.Fatalf("row %d = %+v does not match what was stored", r.ID, r)
					}
				}
				if len(rows) < f.Limit {
					break
				}
				f.BeforeID = rows[len(rows)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d ids, want %d; first got %v, first want %v", len(got), len(want), head(got), head(want))
			}
		})
	}

	rows, err := s.ListEvents(ctx, EventFilter{})
	if err != nil || len(rows) != defaultLimit {
		t.Errorf("zero Limit: %d rows (%v), want %d", len(rows), err, defaultLimit)
	}
}

func head(ids []int64) []int64 { return ids[:min(len(ids), 5)] }

func TestEventsBySnapshot(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var ds []webhook.Event
	for i := range 30 {
		d := testDelivery(i, base.Add(time.Duration(i)*time.Second))
		switch i % 3 {
		case 0:
			d.Payload.SnapshotID = "snap-A"
		case 1:
			d.Payload.SnapshotID = ""
		}
		ds = append(ds, d)
	}
	// Serially, so ids follow i.
	var want []int64
	for _, d := range ds {
		res, err := s.InsertEvent(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if d.Payload.SnapshotID == "snap-A" {
			want = append(want, res.ID)
		}
	}
	for _, c := range []struct {
		snap  string
		limit int
		want  []int64
	}{
		{"snap-A", 0, want},
		{"snap-A", 4, want[:4]},
		{"", 0, nil},
		{"snap-none", 0, nil},
	} {
		rows, err := s.EventsBySnapshot(ctx, c.snap, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("EventsBySnapshot(%q, %d) = %v, want %v (oldest first)", c.snap, c.limit, got, c.want)
		}
	}
}

func TestCountSinceAndLatestIDs(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if e, r, err := s.LatestIDs(ctx); err != nil || e != 0 || r != 0 {
		t.Fatalf("empty LatestIDs = %d, %d, %v", e, r, err)
	}
	for i := range 10 {
		if _, err := s.InsertEvent(ctx, testDelivery(i, base.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		if _, err := s.InsertRejection(ctx, webhook.Rejection{ReceivedAt: base.Add(time.Duration(i) * 3 * time.Hour), Reason: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		since      time.Time
		events     int64
		rejections int64
	}{
		{time.Time{}, 10, 4},
		{base, 10, 4},
		{base.Add(5 * time.Hour), 5, 2},
		{base.Add(9 * time.Hour), 1, 1},
		{base.Add(9*time.Hour + time.Millisecond), 0, 0},
	} {
		e, r, err := s.CountSince(ctx, c.since)
		if err != nil || e != c.events || r != c.rejections {
			t.Errorf("CountSince(%v) = %d, %d, %v; want %d, %d", c.since, e, r, err, c.events, c.rejections)
		}
	}
	if e, r, err := s.LatestIDs(ctx); err != nil || e != 10 || r != 4 {
		t.Errorf("LatestIDs = %d, %d, %v; want 10, 4", e, r, err)
	}
}

// The queries that run on every delivery or every UI refresh must use their
// indexes; a full scan would be fine at 100 rows and slow at 100,000.
func TestQueryPlansUseIndexes(t *testing.T) {
	s := openTest(t)
	for _, c := range []struct {
		query string
		args  []any
		want  []string
	}{
		{matchQuery, []any{"k", "h", "c", "webhook", 1}, []string{"INTEGER PRIMARY KEY"}},
		{`SELECT id, dedupe_key, body_sha256, completion_key FROM events WHERE id > ? ORDER BY id`, []any{1}, []string{"INTEGER PRIMARY KEY"}},
		{`SELECT count(*) FROM events WHERE received_at >= ?`, []any{1}, []string{"COVERING INDEX events_received"}},
		{`SELECT count(*) FROM rejections WHERE received_at >= ?`, []any{1}, []string{"COVERING INDEX rejections_received"}},
		{`SELECT id FROM events WHERE received_at < ? LIMIT ?`, []any{1, 1}, []string{"INDEX events_received"}},
		{`DELETE FROM events WHERE id = ?`, []any{1}, []string{"INTEGER PRIMARY KEY"}},
	} {
		rows, err := s.readDB.Query("EXPLAIN QUERY PLAN "+c.query, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		for _, w := range c.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s\nplan: %s\nwant it to use %s", c.query, joined, w)
			}
		}
	}
}
