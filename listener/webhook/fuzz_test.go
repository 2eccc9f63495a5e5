package webhook_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

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
		ev, err := webhook.Parse(body)
		if err != nil {
			var pe *webhook.PayloadError
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
		again, err := webhook.Parse(body)
		if err != nil || !reflect.DeepEqual(ev, again) || webhook.Key(ev) != webhook.Key(again) {
			t.Fatal("Parse is not deterministic")
		}
		for i := 1; i < len(ev.Unrecognised); i++ {
			if ev.Unrecognised[i-1] > ev.Unrecognised[i] {
				t.Fatalf("Unrecognised not sorted: %q", ev.Unrecognised)
			}
		}
	})
}
