package notify

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
)

func testIcon(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.NRGBA{R: 200, G: 40, B: 40, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBeeepReachesDunst sends through beeep to a real dunst on a private
// bus and reads back what dunst received.
func TestBeeepReachesDunst(t *testing.T) {
	s := desktoptest.Start(t, desktoptest.Options{Dunst: true})
	icon := testIcon(t)

	tests := []struct {
		name        string
		sender      Beeep
		title, body string
		urgent      bool
		wantApp     string
		wantUrgency string
		wantErr     string
	}{
		{"normal with icon", Beeep{AppName: "ipfwatch-test", Icon: icon}, "Snapshot discover completed", "Snapshot: nightly (a1b2)", false, "ipfwatch-test", "normal", ""},
		{"urgent is critical", Beeep{AppName: "ipfwatch-test", Icon: icon}, "Snapshot discover failed", "Reason: timeout\nOpen ipfwatch > Events for details", true, "ipfwatch-test", "critical", ""},
		{"no icon, default name", Beeep{}, "Test webhook received: signature OK", "body", false, "ipfwatch", "normal", ""},
		{"bad icon still delivers", Beeep{AppName: "ipfwatch-test", Icon: []byte("not a png")}, "Intent verification completed", "Snapshot: a1b2", false, "ipfwatch-test", "normal", "not a PNG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sender.Send(tc.title, tc.body, tc.urgent)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Send: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Send error = %v, want one containing %q", err, tc.wantErr)
			}
			n, err := s.WaitNotification(func(n desktoptest.Note) bool { return n.Summary == tc.title }, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if n.Body != tc.body || n.AppName != tc.wantApp || n.Urgency != tc.wantUrgency {
				t.Errorf("dunst received %v, want body %q, app %q, urgency %s", n, tc.body, tc.wantApp, tc.wantUrgency)
			}
		})
	}
}

// TestCenterThroughBeeep runs the whole chain: an event decided by
// ForEvent, posted to a Center, sent by beeep, shown by dunst.
func TestCenterThroughBeeep(t *testing.T) {
	s := desktoptest.Start(t, desktoptest.Options{Dunst: true})
	c := NewCenter(Beeep{AppName: "ipfwatch"}, Options{})
	defer c.Close()

	n, ok := ForEvent(webhook.Payload{Type: "snapshot", Action: "discover", Status: "failed", Reason: "timeout", SnapshotName: "nightly", SnapshotID: "a1b2"})
	if !ok {
		t.Fatal("a failed snapshot does not notify")
	}
	c.Post(n)
	got, err := s.WaitNotification(func(d desktoptest.Note) bool { return d.Summary == "Snapshot discover failed" }, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := desktoptest.Note{ID: got.ID, AppName: "ipfwatch", Summary: n.Title, Body: n.Body, Urgency: "critical"}
	if got != want {
		t.Errorf("dunst received %v, want %v", got, want)
	}
	if err := c.LastError(); err != nil {
		t.Errorf("LastError = %v after a delivered notification", err)
	}
}

// TestNoDaemonIsNotFatal runs a bus without a notification daemon: the
// Sender fails, the Center logs it and reports it, and carries on.
func TestNoDaemonIsNotFatal(t *testing.T) {
	desktoptest.Start(t, desktoptest.Options{})
	var logs bytes.Buffer
	c := NewCenter(Beeep{AppName: "ipfwatch"}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer c.Close()

	if err := (Beeep{}).Send("nobody listens", "body", false); err == nil {
		t.Fatal("Send succeeded with no notification daemon on the bus")
	}
	c.Post(Notification{Kind: SnapshotCompleted, Title: "Snapshot discover completed"})
	c.waitIdle()
	if err := c.LastError(); err == nil {
		t.Error("LastError = nil with no notification daemon")
	}
	if !strings.Contains(logs.String(), "desktop notification failed") {
		t.Errorf("the failure was not logged:\n%s", logs.String())
	}
}
