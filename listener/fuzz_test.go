package listener_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
