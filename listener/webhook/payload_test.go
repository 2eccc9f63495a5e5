package webhook_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want webhook.Payload
	}{
		{
			name: "snapshot clone completed, all fields",
			body: `{"type":"snapshot","action":"clone","status":"completed","requester":"user:12",
				"snapshot":{"id":"s-1","name":"night","cloneId":"s-2","file":"s-1.tar"},"timestamp":1748779200000,"test":true}`,
			want: webhook.Payload{Type: "snapshot", Action: "clone", Status: "completed", Requester: "user:12",
				SnapshotID: "s-1", SnapshotName: "night", CloneID: "s-2", File: "s-1.tar", TimestampMillis: 1748779200000, Test: true},
		},
		{
			name: "discover started has no snapshot object",
			body: `{"type":"snapshot","action":"discover","status":"started","requester":"cron","timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", Action: "discover", Status: "started", Requester: "cron", TimestampMillis: 1748779200000},
		},
		{
			name: "snapshot failed with reason",
			body: `{"type":"snapshot","action":"load","status":"failed","reason":"out of memory","requester":"cron","snapshot":{"id":"s-1"},"timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", Action: "load", Status: "failed", Reason: "out of memory", Requester: "cron",
				SnapshotID: "s-1", TimestampMillis: 1748779200000},
		},
		{
			name: "every documented snapshot status",
			body: `{"type":"snapshot","action":"unload","status":"resumed (stopping)","requester":"cron","timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", Action: "unload", Status: "resumed (stopping)", Requester: "cron", TimestampMillis: 1748779200000},
		},
		{
			name: "intent verification with reportId string",
			body: `{"type":"intent-verification","action":"calculate","status":"completed","requester":"snapshot:discover",
				"reportId":"r-9","snapshotId":"s-1","timestamp":1748779200000}`,
			want: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover",
				ReportIDs: []string{"r-9"}, SnapshotID: "s-1", TimestampMillis: 1748779200000},
		},
		{
			name: "intent verification with reportId list and numbers",
			body: `{"type":"intent-verification","action":"calculate","status":"stopped","requester":"recalculateSites",
				"reportId":["r-1",22],"timestamp":1748779200000}`,
			want: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "stopped", Requester: "recalculateSites",
				ReportIDs: []string{"r-1", "22"}, TimestampMillis: 1748779200000},
		},
		{
			name: "intent verification with numeric reportId, user requester",
			body: `{"type":"intent-verification","action":"calculate","status":"started","requester":"user","reportId":320,"timestamp":1748779200000}`,
			want: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "started", Requester: "user",
				ReportIDs: []string{"320"}, TimestampMillis: 1748779200000},
		},
		{
			name: "unknown type and extra field",
			body: `{"type":"discovery-tasks","action":"whatever","status":"odd","requester":"robot","timestamp":1748779200000,"extra":{"a":1}}`,
			want: webhook.Payload{Type: "discovery-tasks", Action: "whatever", Status: "odd", Requester: "robot", TimestampMillis: 1748779200000,
				Unrecognised: []string{"field:extra", "type"}},
		},
		{
			name: "unknown action, status and requester",
			body: `{"type":"snapshot","action":"rename","status":"paused","requester":"user:","timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", Action: "rename", Status: "paused", Requester: "user:", TimestampMillis: 1748779200000,
				Unrecognised: []string{"action", "requester", "status"}},
		},
		{
			name: "intent action and requester from the snapshot type",
			body: `{"type":"intent-verification","action":"discover","status":"completed","requester":"user:3","timestamp":1748779200000}`,
			want: webhook.Payload{Type: "intent-verification", Action: "discover", Status: "completed", Requester: "user:3", TimestampMillis: 1748779200000,
				Unrecognised: []string{"action", "requester"}},
		},
		{
			name: "missing action, status and requester are accepted and flagged",
			body: `{"type":"snapshot","timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", TimestampMillis: 1748779200000, Unrecognised: []string{"action", "requester", "status"}},
		},
		{
			name: "fields of the other type are kept and flagged",
			body: `{"type":"snapshot","action":"load","status":"completed","requester":"cron","reportId":"r","snapshot":{"id":"s","size":3},"timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", Action: "load", Status: "completed", Requester: "cron", ReportIDs: []string{"r"},
				SnapshotID: "s", TimestampMillis: 1748779200000, Unrecognised: []string{"field:reportId", "field:snapshot.size"}},
		},
		{
			name: "snapshot object on an intent verification",
			body: `{"type":"intent-verification","action":"calculate","status":"failed","reason":"x","requester":"cron","snapshot":{"id":"s"},"timestamp":1748779200000}`,
			want: webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "failed", Reason: "x", Requester: "cron",
				SnapshotID: "s", TimestampMillis: 1748779200000, Unrecognised: []string{"field:snapshot"}},
		},
		{
			name: "timestamp in seconds",
			body: `{"type":"snapshot","action":"load","status":"started","requester":"cron","timestamp":1748779200}`,
			want: webhook.Payload{Type: "snapshot", Action: "load", Status: "started", Requester: "cron", TimestampMillis: 1748779200000},
		},
		{
			name: "timestamp in fractional seconds",
			body: `{"type":"snapshot","action":"load","status":"started","requester":"cron","timestamp":1748779200.25}`,
			want: webhook.Payload{Type: "snapshot", Action: "load", Status: "started", Requester: "cron", TimestampMillis: 1748779200250},
		},
		{
			name: "timestamp in milliseconds, exponent form",
			body: `{"type":"snapshot","action":"load","status":"started","requester":"cron","timestamp":1.7487792e12}`,
			want: webhook.Payload{Type: "snapshot", Action: "load", Status: "started", Requester: "cron", TimestampMillis: 1748779200000},
		},
		{
			name: "nulls count as absent",
			body: `{"type":"snapshot","action":"load","status":"started","requester":"cron","reason":null,"snapshot":null,"test":null,"reportId":null,"timestamp":1748779200000}`,
			want: webhook.Payload{Type: "snapshot", Action: "load", Status: "started", Requester: "cron", TimestampMillis: 1748779200000,
				Unrecognised: []string{"field:reportId"}},
		},
		{
			name: "leading whitespace",
			body: " \n\t{\"type\":\"x\",\"timestamp\":1}\n",
			want: webhook.Payload{Type: "x", TimestampMillis: 1000, Unrecognised: []string{"type"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhook.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	const ts = `"timestamp":1748779200000`
	tests := []struct {
		name      string
		body      string
		wantField string
	}{
		{"empty body", ``, "(body)"},
		{"array", `[{"type":"snapshot",` + ts + `}]`, "(body)"},
		{"string", `"snapshot"`, "(body)"},
		{"null", `null`, "(body)"},
		{"number", `12`, "(body)"},
		{"truncated object", `{"type":"snapshot",`, "(body)"},
		{"trailing data", `{"type":"snapshot",` + ts + `} {}`, "(body)"},
		{"missing type", `{` + ts + `}`, "type"},
		{"null type", `{"type":null,` + ts + `}`, "type"},
		{"empty type", `{"type":"",` + ts + `}`, "type"},
		{"type not a string", `{"type":5,` + ts + `}`, "type"},
		{"type is a list", `{"type":["snapshot"],` + ts + `}`, "type"},
		{"missing timestamp", `{"type":"snapshot"}`, "timestamp"},
		{"timestamp as string", `{"type":"snapshot","timestamp":"1748779200000"}`, "timestamp"},
		{"timestamp as bool", `{"type":"snapshot","timestamp":true}`, "timestamp"},
		{"negative timestamp", `{"type":"snapshot","timestamp":-1}`, "timestamp"},
		{"huge timestamp", `{"type":"snapshot","timestamp":1e300}`, "timestamp"},
		{"timestamp past 9999", `{"type":"snapshot","timestamp":253402300800000}`, "timestamp"},
		{"int64 overflow", `{"type":"snapshot","timestamp":99999999999999999999}`, "timestamp"},
		{"action not a string", `{"type":"snapshot","action":1,` + ts + `}`, "action"},
		{"status is a list", `{"type":"snapshot","status":["completed"],` + ts + `}`, "status"},
		{"reason is an object", `{"type":"snapshot","reason":{},` + ts + `}`, "reason"},
		{"requester is a number", `{"type":"snapshot","requester":7,` + ts + `}`, "requester"},
		{"test is a string", `{"type":"snapshot","test":"true",` + ts + `}`, "test"},
		{"snapshot is a string", `{"type":"snapshot","snapshot":"s-1",` + ts + `}`, "snapshot"},
		{"snapshot is a list", `{"type":"snapshot","snapshot":[],` + ts + `}`, "snapshot"},
		{"snapshot.id is a number", `{"type":"snapshot","snapshot":{"id":5},` + ts + `}`, "snapshot.id"},
		{"snapshot.cloneId is bool", `{"type":"snapshot","snapshot":{"id":"a","cloneId":false},` + ts + `}`, "snapshot.cloneId"},
		{"snapshotId is a number", `{"type":"intent-verification","snapshotId":5,` + ts + `}`, "snapshotId"},
		{"reportId is an object", `{"type":"intent-verification","reportId":{},` + ts + `}`, "reportId"},
		{"reportId is bool", `{"type":"intent-verification","reportId":true,` + ts + `}`, "reportId"},
		{"reportId list with an object", `{"type":"intent-verification","reportId":["a",{}],` + ts + `}`, "reportId[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := webhook.Parse([]byte(tt.body))
			var pe *webhook.PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %+v, %v; want *PayloadError", ev, err)
			}
			if pe.Field != tt.wantField || pe.Reason == "" {
				t.Fatalf("PayloadError = {Field %q, Reason %q}; want field %q with a reason", pe.Field, pe.Reason, tt.wantField)
			}
		})
	}
}

func TestKey(t *testing.T) {
	parse := func(t *testing.T, body string) webhook.Payload {
		t.Helper()
		ev, err := webhook.Parse([]byte(body))
		if err != nil {
			t.Fatalf("Parse(%s): %v", body, err)
		}
		return ev
	}
	base := `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200000}`
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"identical", base, true},
		{"reformatted and reordered", "{\n \"timestamp\": 1748779200000, \"snapshotId\": \"s\", \"reportId\": [\"b\", \"a\"],\n \"status\": \"completed\", \"action\": \"calculate\", \"type\": \"intent-verification\", \"requester\": \"cron\"}", true},
		{"timestamp in seconds", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200}`, true},
		{"requester is not part of the key", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"user","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200000}`, true},
		{"status differs", `{"type":"intent-verification","action":"calculate","status":"failed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200000}`, false},
		{"action differs", `{"type":"intent-verification","action":"calc","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200000}`, false},
		{"type differs", `{"type":"snapshot","action":"calculate","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200000}`, false},
		{"snapshot id differs", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"t","timestamp":1748779200000}`, false},
		{"report ids differ", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["a"],"snapshotId":"s","timestamp":1748779200000}`, false},
		{"report ids joined differently", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["ab"],"snapshotId":"s","timestamp":1748779200000}`, false},
		{"timestamp differs by 1 ms", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200001}`, false},
		{"test flag differs", `{"type":"intent-verification","action":"calculate","status":"completed","requester":"cron","reportId":["a","b"],"snapshotId":"s","timestamp":1748779200000,"test":true}`, false},
	}
	baseKey := webhook.Key(parse(t, base))
	if len(baseKey) != 64 {
		t.Fatalf("Key = %q, want 64 hex characters", baseKey)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := webhook.Key(parse(t, tt.other))
			if (k == baseKey) != tt.same {
				t.Fatalf("Key equal = %v, want %v", k == baseKey, tt.same)
			}
		})
	}

	// Fields that concatenate to the same text must not collide.
	a := webhook.Payload{Type: "snapshot", Action: "ab", Status: "c"}
	b := webhook.Payload{Type: "snapshot", Action: "a", Status: "bc"}
	if webhook.Key(a) == webhook.Key(b) {
		t.Fatal("Key collides for shifted field boundaries")
	}
	// Key must not reorder the caller's report ids.
	ev := webhook.Payload{Type: "x", ReportIDs: []string{"b", "a"}}
	webhook.Key(ev)
	if ev.ReportIDs[0] != "b" {
		t.Fatal("Key modified Event.ReportIDs")
	}
}
