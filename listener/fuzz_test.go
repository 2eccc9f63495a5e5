package listener_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
)

// FuzzVerify checks that Verify never panics, accepts a header only when it
// really is the HMAC of the body under the secret it names, and always
// accepts what Sign produced.
func FuzzVerify(f *testing.F) {
	body := `{"type":"snapshot","action":"discover","status":"completed","requester":"cron","timestamp":1748779200000}`
	f.Add([]byte(body), listener.Sign([]byte(body), curSecret), curSecret, prevSecret, int64(0))
	f.Add([]byte(body), "sha256="+strings.ToUpper(listener.Sign([]byte(body), prevSecret)), curSecret, prevSecret, int64(-1))
	f.Add([]byte(body+"\n"), listener.Sign([]byte(body), curSecret), curSecret, "", int64(1))
	f.Add([]byte(""), "", "s", "", int64(0))
	f.Add([]byte("x"), "zz", "s", "p", int64(0))
	f.Add([]byte("x"), "SHA256=  00", "s", "p", int64(0))
	f.Add([]byte("x"), strings.Repeat("a", 64), "", "", int64(0))
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, header, current, previous string, untilOffset int64) {
		s := listener.SecretSet{Current: current, Previous: previous}
		if untilOffset != 0 {
			s.PreviousUntil = now.Add(time.Duration(untilOffset) * time.Second)
		}
		matched, err := listener.Verify(body, header, s, now)
		if err != nil {
			var se *listener.SignatureError
			if !errors.As(err, &se) || matched != "" {
				t.Fatalf("Verify = %q, %v (%T)", matched, err, err)
			}
		} else {
			secret := map[string]string{"current": current, "previous": previous}[matched]
			if secret == "" {
				t.Fatalf("accepted under %q with an empty secret", matched)
			}
			h := strings.TrimSpace(header)
			if len(h) >= 7 && strings.EqualFold(h[:7], "sha256=") {
				h = strings.TrimSpace(h[7:])
			}
			got, decErr := hex.DecodeString(h)
			m := hmac.New(sha256.New, []byte(secret))
			m.Write(body)
			if decErr != nil || !hmac.Equal(got, m.Sum(nil)) {
				t.Fatalf("accepted %q, which is not the HMAC under the %s secret", header, matched)
			}
		}
		if current != "" {
			if m, err := listener.Verify(body, listener.Sign(body, current), s, now); err != nil || m != "current" {
				t.Fatalf("own signature refused: %q, %v", m, err)
			}
		}
	})
}

// FuzzParse checks that Parse never panics, fails only with a
// *PayloadError, and gives stable results and keys for what it accepts.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"type":"snapshot","action":"clone","status":"completed","requester":"user:1","snapshot":{"id":"a","name":"b","cloneId":"c","file":"d"},"timestamp":1748779200000,"test":true}`,
		`{"type":"intent-verification","action":"calculate","status":"failed","reason":"r","requester":"snapshot:load","reportId":["1",2],"snapshotId":"s","timestamp":1748779200}`,
		`{"type":"x","timestamp":1.5,"extra":null}`,
		`{"type":"snapshot","timestamp":"1"}`,
		`{"type":"snapshot","timestamp":1e308}`,
		`{"type":"snapshot","timestamp":-0.0,"snapshot":{"id":5}}`,
		`{"type":"snapshot","timestamp":1,"reportId":[{}]}`,
		`[]`, `null`, ``, `{`, `{"type":"a","timestamp":1}garbage`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := listener.Parse(body)
		if err != nil {
			var pe *listener.PayloadError
			if !errors.As(err, &pe) || pe.Field == "" || pe.Reason == "" {
				t.Fatalf("Parse error %v (%T) is not a complete *PayloadError", err, err)
			}
			return
		}
		if ev.Type == "" {
			t.Fatal("accepted an event without a type")
		}
		if ev.TimestampMillis < 0 || ev.TimestampMillis > 253402300799999 {
			t.Fatalf("timestamp %d out of range", ev.TimestampMillis)
		}
		again, err := listener.Parse(body)
		if err != nil || !reflect.DeepEqual(ev, again) || listener.Key(ev) != listener.Key(again) {
			t.Fatal("Parse is not deterministic")
		}
		for i := 1; i < len(ev.Unrecognised); i++ {
			if ev.Unrecognised[i-1] > ev.Unrecognised[i] {
				t.Fatalf("Unrecognised not sorted: %q", ev.Unrecognised)
			}
		}
	})
}
