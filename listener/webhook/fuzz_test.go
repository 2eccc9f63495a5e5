package webhook_test

import (
	"encoding/json"
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

// FuzzJSONString checks jsonString's shortcut against encoding/json: for
// any JSON value, the same string or the same refusal.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\u00e9"`, "\"\xff\"", "\"a\x01\"", `"é"`, `""`, `5`, `"a"b"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want string
		wantErr := json.Unmarshal(raw, &want)
		got, ok := webhook.JSONString(raw)
		if ok != (wantErr == nil) || ok && got != want {
			t.Fatalf("jsonString(%q) = %q, %v; encoding/json: %q, %v", raw, got, ok, want, wantErr)
		}
	})
}

// FuzzObjectFields checks the object splitter against encoding/json: the
// same members with the same bytes, or an error from both.
func FuzzObjectFields(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : 1 , "b":[1,{"c":"]"}], "a":"x\"y" } `, `{"a":{"b":{}},"\u0061b":null}`,
		`{"a":true,"b":false,"c":-1.5e3}`, "{\"\xff\":1}", `[1]`, `{"a":1`, `"s"`, `{"a":"}"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		wantErr := json.Unmarshal(b, &want)
		got, err := webhook.ObjectFields(b)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("objectFields(%q): err %v; encoding/json: %v", b, err, wantErr)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("objectFields(%q) = %q; encoding/json: %q", b, got, want)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || string(g) != string(v) {
				t.Fatalf("objectFields(%q)[%q] = %q; encoding/json: %q", b, k, g, v)
			}
		}
	})
}
