package listener_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
)

const (
	curSecret  = "current-Secret-7f3a"
	prevSecret = "previous-Secret-91bc"
)

func TestSignMatchesRFC4231(t *testing.T) {
	// RFC 4231, test case 2.
	got := listener.Sign([]byte("what do ya want for nothing?"), "Jefe")
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"snapshot","action":"discover","status":"completed","requester":"cron","timestamp":1748779200000}`)
	withNL := append(append([]byte{}, body...), '\n')
	withCRLF := append(append([]byte{}, body...), '\r', '\n')
	both := listener.SecretSet{Current: curSecret, Previous: prevSecret}
	inWindow := listener.SecretSet{Current: curSecret, Previous: prevSecret, PreviousUntil: now.Add(time.Hour)}
	expired := listener.SecretSet{Current: curSecret, Previous: prevSecret, PreviousUntil: now.Add(-time.Second)}
	onlyCur := listener.SecretSet{Current: curSecret}
	good := listener.Sign(body, curSecret)
	wrong := listener.Sign(body, "some other secret")

	tests := []struct {
		name        string
		body        []byte
		header      string
		secrets     listener.SecretSet
		wantMatched string
		wantReason  string // empty: no error expected
		wantHint    string
	}{
		{name: "current lowercase", body: body, header: good, secrets: onlyCur, wantMatched: "current"},
		{name: "sha256= prefix", body: body, header: "sha256=" + good, secrets: onlyCur, wantMatched: "current"},
		{name: "SHA256= prefix any case", body: body, header: "SHA256=" + good, secrets: onlyCur, wantMatched: "current"},
		{name: "uppercase hex is accepted", body: body, header: strings.ToUpper(good), secrets: onlyCur, wantMatched: "current"},
		{name: "surrounding spaces", body: body, header: "  " + good + " ", secrets: onlyCur, wantMatched: "current"},
		{name: "current wins over previous", body: body, header: good, secrets: both, wantMatched: "current"},
		{name: "previous, no end date", body: body, header: listener.Sign(body, prevSecret), secrets: both, wantMatched: "previous"},
		{name: "previous within PreviousUntil", body: body, header: listener.Sign(body, prevSecret), secrets: inWindow, wantMatched: "previous"},
		{name: "previous after PreviousUntil", body: body, header: listener.Sign(body, prevSecret), secrets: expired,
			wantReason: "Invalid message signature", wantHint: "matches the previous secret"},
		{name: "header missing", body: body, header: "", secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "header missing"},
		{name: "header blank", body: body, header: "   ", secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "header missing"},
		{name: "not hex", body: body, header: strings.Repeat("z", 64), secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "not hex"},
		{name: "prefix only", body: body, header: "sha256=", secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "not hex"},
		{name: "base64 instead of hex", body: body, header: "W6XBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=", secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "not hex"},
		{name: "too short", body: body, header: good[:62], secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "wrong length"},
		{name: "odd length", body: body, header: good[:63], secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "wrong length"},
		{name: "too long", body: body, header: good + "00", secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "wrong length"},
		{name: "trailing newline added after signing", body: withNL, header: good, secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "signature of the body without its trailing newline"},
		{name: "trailing CRLF added after signing", body: withCRLF, header: good, secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "signature of the body without its trailing newline"},
		{name: "trailing newline, previous secret", body: withNL, header: listener.Sign(body, prevSecret), secrets: both,
			wantReason: "Invalid message signature", wantHint: "signature of the body without its trailing newline"},
		{name: "trailing newline wins over uppercase", body: withNL, header: strings.ToUpper(good), secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: "signature of the body without its trailing newline"},
		{name: "wrong secret, lowercase: no hint", body: body, header: wrong, secrets: both,
			wantReason: "Invalid message signature", wantHint: ""},
		{name: "wrong secret, uppercase", body: body, header: strings.ToUpper(wrong), secrets: both,
			wantReason: "Invalid message signature", wantHint: "uppercase hex"},
		{name: "tampered body", body: []byte(strings.Replace(string(body), "completed", "failed", 1)), header: good, secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: ""},
		{name: "empty previous secret is never used", body: body, header: listener.Sign(body, ""), secrets: onlyCur,
			wantReason: "Invalid message signature", wantHint: ""},
		{name: "no secret configured", body: body, header: listener.Sign(body, ""), secrets: listener.SecretSet{},
			wantReason: "Webhook secret not configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matched, err := listener.Verify(tt.body, tt.header, tt.secrets, now)
			if tt.wantReason == "" {
				if err != nil || matched != tt.wantMatched {
					t.Fatalf("Verify = %q, %v; want %q, nil", matched, err, tt.wantMatched)
				}
				return
			}
			var se *listener.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("Verify = %q, %v; want *SignatureError", matched, err)
			}
			if matched != "" || se.Reason != tt.wantReason || se.Hint != tt.wantHint {
				t.Fatalf("Verify = %q, {Reason %q, Hint %q}; want \"\", {%q, %q}", matched, se.Reason, se.Hint, tt.wantReason, tt.wantHint)
			}
			for _, secret := range []string{curSecret, prevSecret, listener.Sign(tt.body, curSecret), listener.Sign(tt.body, prevSecret)} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q reveals a secret or a computed signature", err)
				}
			}
		})
	}
}
