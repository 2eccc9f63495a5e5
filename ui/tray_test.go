package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/send"
	"github.com/ipfwatch/ipfwatch/app/store"
	"github.com/ipfwatch/ipfwatch/assets"
	"github.com/ipfwatch/ipfwatch/ui/internal/uitest"
)

func TestTrayIcon(t *testing.T) {
	tests := []struct {
		name string
		st   app.Status
		want assets.TrayState
	}{
		{"listening", app.Status{State: app.StateListening}, assets.Listening},
		{"pending approvals", app.Status{State: app.StateListening, Pending: 2}, assets.Attention},
		{"unseen failures", app.Status{State: app.StateListening, UnseenFailures: 1}, assets.Attention},
		{"attention beats paused", app.Status{State: app.StatePaused, Pending: 1}, assets.Attention},
		{"error beats attention", app.Status{State: app.StateError, Error: "port 8000 in use", Pending: 3, UnseenFailures: 4}, assets.Error},
		{"no secret", app.Status{State: app.StateError, Error: "no webhook secret configured"}, assets.Error},
		{"paused", app.Status{State: app.StatePaused}, assets.Paused},
		{"stopped", app.Status{State: app.StateStopped}, assets.Paused},
		{"not yet known", app.Status{}, assets.Paused},
		{"muted is still listening", app.Status{State: app.StateListening, Muted: true}, assets.Listening},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trayIcon(tt.st); got != tt.want {
				t.Errorf("trayIcon = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestStatusLine(t *testing.T) {
	tests := []struct {
		st   app.Status
		want string
	}{
		{app.Status{State: app.StateListening, Listen: ":8000", Addr: "[::]:8000", EventsToday: 3}, "Listening on :8000, 3 events today"},
		{app.Status{State: app.StateListening, Listen: ":8000", Addr: "[::]:8000", EventsToday: 1}, "Listening on :8000, 1 event today"},
		{app.Status{State: app.StateListening, Listen: "127.0.0.1:0", Addr: "127.0.0.1:43121"}, "Listening on 127.0.0.1:43121, 0 events today"},
		{app.Status{State: app.StatePaused, Listen: ":8000", EventsToday: 9}, "Paused"},
		{app.Status{State: app.StateError, Listen: ":8000", Error: "port 8000 in use"}, "Error: port 8000 in use"},
		{app.Status{State: app.StateError, Error: "no webhook secret configured"}, "Error: no webhook secret configured"},
		{app.Status{State: app.StateStopped}, "Stopped"},
		{app.Status{}, "Starting…"},
	}
	for _, tt := range tests {
		if got := statusLine(tt.st); got != tt.want {
			t.Errorf("statusLine(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	until := time.Date(2025, 3, 4, 14, 5, 0, 0, time.Local)
	tests := []struct {
		st   app.Status
		want string
	}{
		{app.Status{State: app.StateListening, Listen: ":8000", Path: "/ipfabric", EventsToday: 3, RejectionsToday: 1},
			"Listening on :8000/ipfabric · 3 events today · 1 rejected today"},
		{app.Status{State: app.StatePaused, Listen: ":8000", Path: "/ipfabric"},
			"Paused on :8000/ipfabric (deliveries get 503 and are retried) · 0 events today · 0 rejected today"},
		{app.Status{State: app.StateError, Error: "port 8000 in use", EventsToday: 2},
			"Error: port 8000 in use · 2 events today · 0 rejected today"},
		{app.Status{State: app.StateListening, Listen: ":8000", Path: "/x", Muted: true, MutedUntil: until},
			"Listening on :8000/x · 0 events today · 0 rejected today · notifications muted until 14:05"},
		{app.Status{State: app.StateListening, Listen: ":8000", Path: "/x", NotifyError: "no notification daemon"},
			"Listening on :8000/x · 0 events today · 0 rejected today · notifications failing: no notification daemon"},
		{app.Status{State: app.StateListening, Listen: ":8000", Path: "/x", EventsToday: 3, CaughtUp: 3, CaughtUpAt: until},
			"Listening on :8000/x · 3 events today · 0 rejected today · 3 events caught up from IP Fabric at 14:05"},
	}
	for _, tt := range tests {
		if got := statusText(tt.st); got != tt.want {
			t.Errorf("statusText(%+v)\n got %q\nwant %q", tt.st, got, tt.want)
		}
	}
}

// recordedActions returns trayActions that append what was asked to calls.
func recordedActions(calls *[]string) trayActions {
	rec := func(s string) func() { return func() { *calls = append(*calls, s) } }
	return trayActions{
		Open: rec("open"), OpenApprovals: rec("approvals"), OpenFailures: rec("failures"),
		SetPaused: func(p bool) { *calls = append(*calls, fmt.Sprintf("paused=%t", p)) },
		Mute:      rec("mute"), Unmute: rec("unmute"), SendTest: rec("send test"), Quit: rec("quit"),
	}
}

func TestMenuModel(t *testing.T) {
	until := time.Date(2025, 3, 4, 14, 5, 0, 0, time.Local)
	listening := app.Status{State: app.StateListening, Listen: ":8000", EventsToday: 3}
	type want struct {
		label   string
		enabled bool
		call    string // what the action does; "" for none
	}
	sep := want{label: "---"}
	tests := []struct {
		name   string
		st     app.Status
		paused bool
		want   []want
	}{
		{"listening", listening, false, []want{
			{"Listening on :8000, 3 events today", false, ""}, sep,
			{"Open ipfwatch", true, "open"},
			{"Approvals (0 pending)", true, "approvals"}, sep,
			{"Pause listening", true, "paused=true"},
			{"Mute notifications for 1 hour", true, "mute"},
			{"Send test webhook", true, "send test"}, sep,
			{"Quit", true, "quit"},
		}},
		{"paused, muted, pending, failures", app.Status{State: app.StatePaused, Pending: 2, UnseenFailures: 5, Muted: true, MutedUntil: until}, true, []want{
			{"Paused", false, ""}, sep,
			{"Open ipfwatch", true, "open"},
			{"Approvals (2 pending)", true, "approvals"},
			{"Signature failures (5 new)", true, "failures"}, sep,
			{"Resume listening", true, "paused=false"},
			{"Unmute notifications (muted until 14:05)", true, "unmute"},
			{"Send test webhook", false, "send test"}, sep,
			{"Quit", true, "quit"},
		}},
		{"error while paused still offers resume", app.Status{State: app.StateError, Error: "port 8000 in use"}, true, []want{
			{"Error: port 8000 in use", false, ""}, sep,
			{"Open ipfwatch", true, "open"},
			{"Approvals (0 pending)", true, "approvals"}, sep,
			{"Resume listening", true, "paused=false"},
			{"Mute notifications for 1 hour", true, "mute"},
			{"Send test webhook", false, "send test"}, sep,
			{"Quit", true, "quit"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			items := menuModel(tt.st, tt.paused, recordedActions(&calls))
			var got []want
			for _, it := range items {
				if it.separator {
					got = append(got, sep)
					continue
				}
				calls = nil
				if it.action != nil {
					it.action()
				}
				got = append(got, want{it.label, it.enabled, strings.Join(calls, ",")})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("menu\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestMenuModelCatchUp: events caught up from IP Fabric's API add one
// disabled line under the status line, and change nothing else.
func TestMenuModelCatchUp(t *testing.T) {
	at := time.Date(2025, 3, 4, 14, 5, 0, 0, time.Local)
	st := app.Status{State: app.StateListening, Listen: ":8000", EventsToday: 3}
	var calls []string
	plain := menuModel(st, false, recordedActions(&calls))
	st.CaughtUp, st.CaughtUpAt = 3, at
	caught := menuModel(st, false, recordedActions(&calls))
	want := append([]menuItem{plain[0], {label: "3 events caught up from IP Fabric at 14:05"}}, plain[1:]...)
	if menuSignature(caught) != menuSignature(want) {
		t.Errorf("menu\n got %s\nwant %s", menuSignature(caught), menuSignature(want))
	}
}

func TestTraySetsMenuAndIconOnlyOnChange(t *testing.T) {
	h := &recordingHost{}
	var calls []string
	tr := newTray(h, recordedActions(&calls), false)
	st := app.Status{State: app.StateListening, Listen: ":8000", EventsToday: 1}
	tr.update(st, false)
	tr.update(st, false)
	if h.menuSets != 1 || h.iconSets != 1 {
		t.Fatalf("same state twice: menu set %d times, icon %d times; want 1 and 1", h.menuSets, h.iconSets)
	}
	if h.icon != assets.Tray(assets.Listening, false) {
		t.Errorf("icon = %s, want the light-panel listening icon", h.icon.Name())
	}
	st.EventsToday = 2
	tr.update(st, false)
	if h.menuSets != 2 || h.iconSets != 1 {
		t.Errorf("a new count: menu set %d times, icon %d times; want 2 and 1", h.menuSets, h.iconSets)
	}
	if got := h.labels()[0]; got != "Listening on :8000, 2 events today" {
		t.Errorf("status line = %q", got)
	}
	tr.setDarkPanel(true)
	if h.icon != assets.Tray(assets.Listening, true) {
		t.Errorf("after the panel turned dark the icon is %s", h.icon.Name())
	}
	st.UnseenFailures = 1
	tr.update(st, false)
	if h.icon != assets.Tray(assets.Attention, true) {
		t.Errorf("with a new failure the icon is %s, want the dark attention icon", h.icon.Name())
	}
	// The menu handed to the host ends with our own Quit, so Fyne does not
	// add its own (which would skip the graceful shutdown).
	last := h.menu.Items[len(h.menu.Items)-1]
	if last.Label != "Quit" || !last.IsQuit || last.Action == nil {
		t.Errorf("last item = %+v, want our Quit", last)
	}
	last.Action()
	if !slices.Equal(calls, []string{"quit"}) {
		t.Errorf("Quit called %v", calls)
	}
	if h.item("Listening on :8000, 2 events today").Disabled != true {
		t.Error("the status line is enabled")
	}
}

// TestTrayFollowsApp drives the tray menu of a shell on a real App: each
// click changes the app, and the rebuilt menu and icon follow.
func TestTrayFollowsApp(t *testing.T) {
	a := newTestApp(t)
	fa := test.NewTempApp(t)
	q := &uitest.Mailbox{}
	s := newShell(a, fa, slog.New(slog.NewTextHandler(io.Discard, nil)), placeholderSpecs())
	s.do = q.Do
	quitCalled := false
	s.quitFyne = func() { quitCalled = true }
	h := &recordingHost{}
	s.attachTray(h)
	s.start()
	t.Cleanup(s.stop)

	status := func() string {
		if h.menu == nil {
			return ""
		}
		return h.menu.Items[0].Label
	}
	click := func(label string) {
		t.Helper()
		it := h.item(label)
		if it == nil {
			t.Fatalf("no %q in the menu %q", label, h.labels())
		}
		if it.Disabled {
			t.Fatalf("%q is disabled", label)
		}
		it.Action()
	}
	listening := fmt.Sprintf("Listening on %s, 0 events today", a.Addr())
	q.WaitFor(t, "the listening status line", func() bool { return status() == listening })
	if h.icon != assets.Tray(assets.Listening, false) {
		t.Errorf("icon = %s, want listening", h.icon.Name())
	}

	click("Pause listening")
	if !a.Paused() {
		t.Fatal("Pause listening did not pause the app")
	}
	q.WaitFor(t, "the paused menu", func() bool { return status() == "Paused" && h.item("Resume listening") != nil })
	if h.icon != assets.Tray(assets.Paused, false) {
		t.Errorf("paused icon = %s", h.icon.Name())
	}
	if !h.item("Send test webhook").Disabled {
		t.Error("Send test webhook is enabled while paused")
	}
	click("Resume listening")
	if a.Paused() {
		t.Fatal("Resume listening did not resume")
	}
	q.WaitFor(t, "the listening menu again", func() bool { return h.item("Pause listening") != nil && status() == listening })

	click("Send test webhook")
	q.WaitFor(t, "the test event in the store and the tray", func() bool {
		return status() == fmt.Sprintf("Listening on %s, 1 event today", a.Addr())
	})
	evs, err := a.Store().ListEvents(context.Background(), store.EventFilter{Limit: 10})
	if err != nil || len(evs) != 1 || !evs[0].Test {
		t.Fatalf("events after Send test webhook: %+v, %v; want one test event", evs, err)
	}
	q.WaitFor(t, "the test result in the status bar", func() bool {
		return s.bar.note.Text == "Test webhook accepted (HTTP 200)"
	})

	click("Mute notifications for 1 hour")
	q.WaitFor(t, "the unmute item", func() bool {
		for _, l := range h.labels() {
			if strings.HasPrefix(l, "Unmute notifications (muted until ") {
				return true
			}
		}
		return false
	})
	if st := a.Status(context.Background()); !st.Muted {
		t.Error("the app is not muted")
	}
	for _, l := range h.labels() {
		if strings.HasPrefix(l, "Unmute") {
			click(l)
		}
	}
	q.WaitFor(t, "the mute item again", func() bool { return h.item("Mute notifications for 1 hour") != nil })
	if st := a.Status(context.Background()); st.Muted {
		t.Error("the app is still muted")
	}

	// A delivery with a bad signature asks for attention until the
	// engineer looks at the failures.
	if _, err := send.Signed(context.Background(), a.URL(), "not-the-secret", send.Body(send.Payload{})); err != nil {
		t.Fatal(err)
	}
	q.WaitFor(t, "the attention icon", func() bool {
		return h.icon == assets.Tray(assets.Attention, false) && h.item("Signature failures (1 new)") != nil
	})
	if got := s.items[1].Text; got != "Signature failures (1 new)" {
		t.Errorf("failures tab title = %q", got)
	}
	click("Signature failures (1 new)")
	if s.tabs.Selected() != s.items[1] {
		t.Errorf("the failures tab is not in front: %q", s.tabs.Selected().Text)
	}
	q.WaitFor(t, "the attention to clear", func() bool {
		return h.icon == assets.Tray(assets.Listening, false) && h.item("Signature failures (1 new)") == nil
	})

	click("Approvals (0 pending)")
	if s.tabs.Selected() != s.items[2] {
		t.Errorf("Approvals opened %q", s.tabs.Selected().Text)
	}

	click("Quit")
	q.WaitFor(t, "Quit to stop the app and end the Fyne loop", func() bool { return quitCalled })
	if a.Addr() != "" {
		t.Errorf("after Quit the listener is still on %s", a.Addr())
	}
}

// TestTrayShowsCatchUp catches up from a fake IP Fabric on a real App: the
// tray menu and the status bar say how many events came that way.
func TestTrayShowsCatchUp(t *testing.T) {
	f := uitest.StartIPF(t)
	a := uitest.NewApp(t, uitest.AppOptions{Start: true, Secret: testSecret, KeepAll: true, IPF: f,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	fa := test.NewTempApp(t)
	q := &uitest.Mailbox{}
	s := newShell(a, fa, slog.New(slog.NewTextHandler(io.Discard, nil)), placeholderSpecs())
	s.do = q.Do
	h := &recordingHost{}
	s.attachTray(h)
	s.start()
	t.Cleanup(s.stop)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if added, err := a.CatchUp(ctx, uitest.IPFSnapshotStart.Add(-time.Hour)); err != nil || len(added) != 2 {
		t.Fatalf("catch-up added %d, %v; want 2 events", len(added), err)
	}
	const note = "2 events caught up from IP Fabric at "
	q.WaitFor(t, "the catch-up in the tray", func() bool {
		l := h.labels()
		return len(l) > 1 && strings.HasPrefix(l[1], note)
	})
	it := h.menu.Items[1]
	if !it.Disabled {
		t.Errorf("%q is enabled; it is information", it.Label)
	}
	if !strings.Contains(s.bar.text.Text, note) {
		t.Errorf("status bar = %q, want the catch-up", s.bar.text.Text)
	}
}
